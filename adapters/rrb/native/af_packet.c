// Raw Ethernet for the R0KH-R1KH protocol: Node has no AF_PACKET, hostapd speaks ethertype
// 0x88B7 on its ft_iface, so the KMS needs a packet socket. This addon is deliberately small:
// one non-blocking AF_PACKET/SOCK_RAW socket bound to (interface, ethertype), a libuv poll
// handle that drains it on readability and hands each frame to a JS callback, and send().
// Everything else (framing, crypto, policy) lives in TypeScript. Linux only.
//
// JS API (wrapped by adapters/rrb/l2-socket.ts):
//   open(ifname, ethertype, onFrame(buf)) -> handle   handle.mac: Buffer(6), handle.ifindex
//   send(handle, buf)   throws on error (EAGAIN included: the caller counts it as a drop)
//   close(handle)       idempotent; the callback is never called afterwards
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <node_api.h>
#include <uv.h>

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23 /* Linux >= 4.20; older kernels: sll_pkttype check below */
#endif

typedef struct {
  napi_env env;
  int fd;
  int closed;       /* close() called: no more callbacks, no sends */
  int wrapper_gone; /* JS handle finalized: free after uv_close completes */
  uv_poll_t poll;
  napi_ref callback;
  napi_async_context async;
  unsigned char rx_buf[65536]; /* per socket: worker threads may each open one */
} sock_t;

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[160];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_throw_error(env, err == EAGAIN ? "EAGAIN" : "ESOCKET", msg);
  return NULL;
}

static void on_closed(uv_handle_t *h) {
  sock_t *s = h->data;
  close(s->fd);
  napi_delete_reference(s->env, s->callback);
  napi_async_destroy(s->env, s->async);
  s->fd = -1;
  if (s->wrapper_gone) free(s);
  else s->wrapper_gone = -1; /* marks "uv side done" for the finalizer */
}

static void finalize(napi_env env, void *data, void *hint) {
  sock_t *s = data;
  (void)env; (void)hint;
  /* An unclosed socket keeps polling (its callback ref is strong), so only free when closed. */
  if (s->wrapper_gone == -1) free(s);
  else s->wrapper_gone = 1;
}

static void on_readable(uv_poll_t *h, int status, int events) {
  sock_t *s = h->data;
  (void)events;
  if (status < 0 || s->closed) return;
  napi_handle_scope scope;
  napi_open_handle_scope(s->env, &scope);
  for (int i = 0; i < 64 && !s->closed; i++) { /* bounded batch keeps the loop fair */
    struct sockaddr_ll from;
    socklen_t fromlen = sizeof from;
    ssize_t n = recvfrom(s->fd, s->rx_buf, sizeof s->rx_buf, MSG_DONTWAIT, (struct sockaddr *)&from, &fromlen);
    if (n < 0) break; /* EAGAIN: drained; other errors: try again on the next wake-up */
    if (from.sll_pkttype == PACKET_OUTGOING) continue; /* our own transmissions, looped back */
    napi_value buf, cb, recv, global;
    void *dst;
    napi_create_buffer_copy(s->env, (size_t)n, s->rx_buf, &dst, &buf);
    napi_get_reference_value(s->env, s->callback, &cb);
    napi_get_global(s->env, &global);
    if (napi_make_callback(s->env, s->async, global, cb, 1, &buf, &recv) == napi_pending_exception) {
      napi_value err;
      napi_get_and_clear_last_exception(s->env, &err);
      napi_fatal_exception(s->env, err); /* surfaces as 'uncaughtException', like any callback */
    }
  }
  napi_close_handle_scope(s->env, scope);
}

static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], obj, mac_buf, name, v;
  char ifname[IF_NAMESIZE + 1];
  size_t len;
  uint32_t ethertype;
  void *mac;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 3 || napi_get_value_string_utf8(env, argv[0], ifname, sizeof ifname, &len) != napi_ok ||
      len == 0 || len >= IF_NAMESIZE || napi_get_value_uint32(env, argv[1], &ethertype) != napi_ok) {
    napi_throw_type_error(env, NULL, "open(ifname, ethertype, onFrame)");
    return NULL;
  }
  unsigned int ifindex = if_nametoindex(ifname);
  if (ifindex == 0) return throw_errno(env, ifname, errno);
  /* Protocol 0 at socket(): no frame is queued until bind() picks interface and ethertype. */
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket(AF_PACKET)", errno);
  struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons((uint16_t)ethertype), .sll_ifindex = (int)ifindex };
  int one = 1;
  setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one); /* best effort */
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, ifname, len);
  if (bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0 || ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, ifname, err);
  }
  sock_t *s = calloc(1, sizeof *s);
  s->env = env;
  s->fd = fd;
  napi_create_reference(env, argv[2], 1, &s->callback);
  napi_create_string_utf8(env, "af_packet", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &s->async);
  uv_loop_t *loop;
  napi_get_uv_event_loop(env, &loop);
  uv_poll_init(loop, &s->poll, fd);
  s->poll.data = s;
  uv_poll_start(&s->poll, UV_READABLE, on_readable);
  napi_create_object(env, &obj);
  napi_wrap(env, obj, s, finalize, NULL, NULL);
  napi_create_buffer_copy(env, 6, ifr.ifr_hwaddr.sa_data, &mac, &mac_buf);
  napi_set_named_property(env, obj, "mac", mac_buf);
  napi_create_uint32(env, ifindex, &v);
  napi_set_named_property(env, obj, "ifindex", v);
  return obj;
}

static sock_t *unwrap(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv) {
  sock_t *s = NULL;
  napi_get_cb_info(env, info, argc, argv, NULL, NULL);
  if (*argc < 1 || napi_unwrap(env, argv[0], (void **)&s) != napi_ok) napi_throw_type_error(env, NULL, "not an af_packet handle");
  return s;
}

static napi_value js_send(napi_env env, napi_callback_info info) {
  size_t argc = 2, len;
  napi_value argv[2];
  void *data;
  sock_t *s = unwrap(env, info, &argc, argv);
  if (!s) return NULL;
  if (s->closed) return throw_errno(env, "send", EBADF);
  if (argc < 2 || napi_get_buffer_info(env, argv[1], &data, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "send(handle, buffer)");
    return NULL;
  }
  /* Bound socket: the kernel sends on that interface; the frame already has its Ethernet header. */
  if (send(s->fd, data, len, MSG_DONTWAIT) < 0) return throw_errno(env, "send", errno);
  return NULL;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  sock_t *s = unwrap(env, info, &argc, argv);
  if (!s || s->closed) return NULL;
  s->closed = 1;
  uv_poll_stop(&s->poll);
  uv_close((uv_handle_t *)&s->poll, on_closed);
  return NULL;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_value fn;
  napi_create_function(env, "open", NAPI_AUTO_LENGTH, js_open, NULL, &fn);
  napi_set_named_property(env, exports, "open", fn);
  napi_create_function(env, "send", NAPI_AUTO_LENGTH, js_send, NULL, &fn);
  napi_set_named_property(env, exports, "send", fn);
  napi_create_function(env, "close", NAPI_AUTO_LENGTH, js_close, NULL, &fn);
  napi_set_named_property(env, exports, "close", fn);
  return exports;
}
