import { describe, expect, it } from 'vitest';
import { luhnValid, redact } from '../../functions/core/redact';

describe('redact', () => {
  it('masks secret-named keys in key=value text and query strings', () => {
    expect(redact('login ok password=hunter2 user=bob')).toBe('login ok password=[REDACTED] user=bob');
    expect(redact('db_pass: x; api_key="abc def" next')).toBe('db_pass: x; api_key=[REDACTED] next');
    expect(redact('GET /cb?code=1&access_token=abc&x=2')).toBe('GET /cb?code=1&access_token=[REDACTED]&x=2');
    expect(redact('client_secret=s3 secret: topsecret')).toBe('client_secret=[REDACTED] secret: [REDACTED]');
  });

  it('masks JSON values (also escaped JSON) and keeps other keys', () => {
    expect(redact('{"user":"bob","password":"p@ss\\"word","db_password":"x","max_tokens":100,"apiKey":"abc123"}')).toBe(
      '{"user":"bob","password":"[REDACTED]","db_password":"[REDACTED]","max_tokens":100,"apiKey":"[REDACTED]"}',
    );
    expect(redact('msg={\\"secret\\":\\"s3cr3t\\",\\"a\\":1}')).toBe('msg={\\"secret\\":\\"[REDACTED]\\",\\"a\\":1}');
  });

  it('masks Authorization credentials but keeps the scheme', () => {
    expect(redact('Authorization: Bearer abcdef123456.xyz')).toBe('Authorization: Bearer [REDACTED]');
    expect(redact('headers authorization=Basic dXNlcjpwYXNz')).toBe('headers authorization=Basic [REDACTED]');
    expect(redact('{"Authorization":"Bearer abc.def.ghi"}')).toBe('{"Authorization":"[REDACTED]"}');
  });

  it('masks AWS access keys and the secret next to them', () => {
    expect(redact('creds AKIAIOSFODNN7EXAMPLE wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY done')).toBe('creds [REDACTED] [REDACTED] done');
    const sha = 'commit 0123456789abcdef0123456789abcdef01234567';
    expect(redact(sha)).toBe(sha); // 40-char hex alone is not an AWS secret
  });

  it('masks JWTs and private key blocks', () => {
    expect(redact('token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U end')).toBe('token [REDACTED] end');
    expect(redact('key -----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY----- after')).toBe('key [REDACTED] after');
    expect(redact('-----BEGIN PRIVATE KEY-----\nMIIE truncated')).toBe('[REDACTED]');
  });

  it('keeps the email domain only', () => {
    expect(redact('mail from john.doe+x@mail.example.com ok')).toBe('mail from ***@mail.example.com ok');
  });

  it('masks Luhn-valid card numbers only', () => {
    expect(redact('card 4111 1111 1111 1111 and 4111-1111-1111-1112 and order 1234567890123')).toBe(
      'card [REDACTED] and 4111-1111-1111-1112 and order 1234567890123',
    );
    expect(redact('visa 4012888888881881.')).toBe('visa [REDACTED].');
    expect(luhnValid('79927398713')).toBe(true);
    expect(luhnValid('79927398710')).toBe(false);
  });

  it('leaves ordinary lines alone', () => {
    const line = '2024-05-01T12:00:00Z INFO request 42 took 12ms from 10.0.0.1 status=200';
    expect(redact(line)).toBe(line);
    expect(redact('')).toBe('');
  });
});
