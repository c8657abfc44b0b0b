// Inputs and expected bytes of the R0KH-R1KH vectors
// ([hostapd-generated]: made by hostapd 2.10's own wpa_auth_ft.c, checked by an independent
// Python implementation), plus RFC 5297 A.1/A.2 (also in hostapd's crypto_module_tests.c).

export const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
export const range = (from: number, n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (from + i) & 0xff));

export const KEY = range(0, 32);
export const KMS_MAC = '02:00:00:00:09:00';
export const SEQ = { dom: 0x01020305, seq: 7, ts: 1700000000 };
export const R0KH_ID = Buffer.from('ap1.example.com');
export const R1KH_ID = '02:00:00:00:04:00';
export const STA = '02:00:00:00:01:00';
export const PMK_R0_NAME = hex('0d93e545afa75635cf9bf28051145523');
export const PMK_R1 = hex('ca2ac25071a665de46430333889a5f6015f7aab91e2b0fcf07311597b95e3c9d');
export const PMK_R1_NAME = hex('1fcb399d50b69afd01b81afa6b36a30a');
export const PMK_R0 = hex('ba9de5965fd375e9c34f7d5592eade5a4e8b7f79f56ebc86d46a2d3de8eb27b1');

export const PUSH_PAYLOAD = hex(`
2d0001000c00050302010700000000f1536504000f006170312e6578616d706c652e636f6d050006000200000004004c
8249e786e43043035082e852c7166b3c036e13cd7dea82bc18fc0821225adf2bad36ce51c5d6e292c5f2e8b35252b05d
a478c8eb280ca2f70778cb1e5c741ba84422a79f7e80a0079b9da53931932c4d3dc74b24eb82cc7f3cf2838e8eb15611
a7ba4832210a543194a48e7d7b742ab4356d3b6456b2b60715c0df55b640bd269a17797d64c72650a92a4e7d18c40584
595eae89adbbe6f0`);
export const PUSH_PLAINTEXT = hex(`
06000600 020000000100  07001000 0d93e545afa75635cf9bf28051145523
0a002000 ca2ac25071a665de46430333889a5f6015f7aab91e2b0fcf07311597b95e3c9d
09001000 1fcb399d50b69afd01b81afa6b36a30a  0b000200 1000  0c000200 0000
0f001100 616c696365406578616d706c652e636f6d  10000000  11000400 00000000  0d000200 6400`);
export const SEQ_RESP_PAYLOAD = hex(
  '410002001000000102030405060708090a0b0c0d0e0f01000c00050302010800000000f1536504000f006170312e6578616d706c652e636f6d050006000200000004006cd5cbc2893135741556c1c497e175bc',
);
export const SEQ_REQ_PAYLOAD = hex(
  '2e0002001000000102030405060708090a0b0c0d0e0f0400010078050006000200000004000000070000000000000000e9544fc0b1107224a2a62b265237dce9',
);

export const RFC5297 = {
  a1: {
    key: hex('fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff'),
    ad: [hex('101112131415161718191a1b1c1d1e1f2021222324252627')],
    plaintext: hex('112233445566778899aabbccddee'),
    output: hex('85632d07c6e8f37f950acd320a2ecc9340c02b9690c4dc04daef7f6afe5c'),
  },
  a2: {
    key: hex('7f7e7d7c7b7a79787776757473727170404142434445464748494a4b4c4d4e4f'),
    ad: [
      hex('00112233445566778899aabbccddeeffdeaddadadeaddadaffeeddccbbaa99887766554433221100'),
      hex('102030405060708090a0'),
      hex('09f911029d74e35bd84156c5635688c0'),
    ],
    plaintext: hex('7468697320697320736f6d6520706c61696e7465787420746f20656e6372797074207573696e67205349562d414553'),
    output: hex(
      '7bdb6e3b432667eb06f4d14bff2fbd0fcb900f2fddbe404326601965c889bf17dba77ceb094fa663b7a3f748ba8af829ea64ad544a272e9c485b62a3fd5c0d',
    ),
  },
};
