#!/usr/bin/env node
// Runs the TypeScript CLI through tsx (a dependency), so `npx harbinger ...` works without a build.
import { register } from 'tsx/esm/api';
register();
await import('../infra/local/cli.ts');
