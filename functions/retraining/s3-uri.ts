/** `s3://bucket/key` URIs, as SageMaker and Step Functions pass them. */

/** A parsed S3 URI. */
export interface S3Location {
  bucket: string;
  /** Key or prefix (no leading slash; may be empty). */
  key: string;
}

/** Not an `s3://bucket/key` URI. */
export class S3UriError extends Error {
  override readonly name = 'S3UriError';
}

/**
 * Splits `s3://bucket/key`.
 * @throws S3UriError for anything else
 */
export function parseS3Uri(uri: string): S3Location {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!m) throw new S3UriError(`Expected an s3://bucket/key URI, got "${uri}"`);
  return { bucket: m[1], key: m[2] };
}

/** `s3://bucket/key`. */
export function s3Uri(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}
