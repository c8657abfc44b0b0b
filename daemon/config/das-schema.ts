import { z } from 'zod';
import { ipAddress, listenPort, name, port, secretRef } from './primitives.js';

// Dynamic authorization (RFC 5176): `radius.dynamicAuthorization` is where the KMS listens for
// Disconnect- and CoA-Requests from the AAA servers; `radius.clients[].das` is where each AP's own
// DAS (hostapd radius_das_port) is and the secret the KMS signs what it forwards there with.
// docs/dynamic-authorization.md explains each field.

/** The DAS of the APs of one radius.clients entry. */
export const apDasSchema = z
  .object({
    /** The AP's radius_das_client secret: its own, not the RADIUS secret and not the upstream's. */
    secret: secretRef,
    port: port.default(3799),
    /** Default: the address the station's AP sends RADIUS from (so one entry serves a prefix of APs). */
    address: ipAddress.optional(),
  })
  .strict();
export type ApDasConfig = z.infer<typeof apDasSchema>;

/** What a CoA-Request that hostapd cannot apply becomes (hostapd applies CoA only for Hotspot 2.0). */
export const COA_POLICIES = ['nak', 'disconnect'] as const;

export const dynamicAuthorizationSchema = z
  .object({
    listen: z.object({ address: ipAddress, port: listenPort }).strict().default({ address: '0.0.0.0', port: 3799 }),
    /**
     * The address the KMS sends to the APs' DAS from: their radius_das_client. Default: whatever the
     * route gives, and `kmsctl ap-config` writes distribution.kmsRadiusAddress.
     */
    sourceAddress: ipAddress.optional(),
    /** The AAA servers (DACs) allowed to send requests, by source address, each with its own secret. */
    upstreams: z
      .array(z.object({ name, address: ipAddress, secret: secretRef }).strict())
      .min(1, 'list the AAA servers allowed to send Disconnect/CoA requests'),
    /** Largest accepted difference between Event-Timestamp and the KMS's clock (replay protection). */
    eventTimestampWindowS: z.number().int().min(1).max(86_400).default(300),
    /** Drop requests without Event-Timestamp (RFC 5176 §3.5 replay protection); false accepts them. */
    requireEventTimestamp: z.boolean().default(true),
    /** nak: CoA-NAK with Error-Cause 406; disconnect: a Disconnect, so the station logs in again and gets its new attributes. */
    coa: z.enum(COA_POLICIES).default('nak'),
    /** Wait for the AP's answer this long before sending again. */
    timeoutMs: z.number().int().min(50).max(30_000).default(1000),
    tries: z.number().int().min(1).max(10).default(3),
    /** A request naming more sessions than this (e.g. by User-Name) is answered for the first ones only. */
    maxSessionsPerRequest: z.number().int().min(1).max(256).default(16),
  })
  .strict();
export type DynamicAuthorizationConfig = z.infer<typeof dynamicAuthorizationSchema>;
