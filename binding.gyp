# Native addon for raw Ethernet (AF_PACKET), used by adapters/rrb/l2-socket.ts for the
# R0KH-R1KH protocol (ethertype 0x88B7). npm runs `node-gyp rebuild` on install because this
# file exists and package.json defines no install script; output: build/Release/af_packet.node.
{
  "targets": [
    {
      "target_name": "af_packet",
      "sources": ["adapters/rrb/native/af_packet.c"],
      "cflags": ["-Wall", "-Wextra", "-Wno-unused-parameter", "-O2"],
      "conditions": [["OS!='linux'", {"type": "none", "sources!": ["adapters/rrb/native/af_packet.c"]}]]
    }
  ]
}
