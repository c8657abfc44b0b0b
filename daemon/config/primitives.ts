import { z } from 'zod';
import { isIP } from 'node:net';
import { normalizeMac } from '../common/mac.js';

// Field types shared by the config sections, each with the message an operator will read.

export const ipAddress = z.string().refine((s) => isIP(s) !== 0, { message: 'expected an IPv4 or IPv6 address' });
export const port = z.number().int().min(1).max(65535);
/** Listeners also take 0 ("any free port", logged at start): tests and labs use it. */
export const listenPort = z.number().int().min(0).max(65535);
export const name = z
  .string()
  .min(1)
  .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_" and "-" only');
export const mac = z
  .string()
  .refine((s) => normalizeMac(s) !== null, { message: 'expected a MAC address (aa:bb:cc:dd:ee:ff)' })
  .transform((s) => normalizeMac(s)!);

export const secretRef = z.union(
  [z.string().min(1), z.object({ file: z.string().min(1) }).strict(), z.object({ credential: z.string().min(1) }).strict()],
  { message: 'expected a secret: a string, {file: PATH} or {credential: NAME}' },
);
export type SecretRef = z.infer<typeof secretRef>;
