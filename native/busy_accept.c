/*
 * accept(2) callable from JavaScript without the event loop. A Lua script
 * that runs past busy-reply-threshold holds Node's event loop, so new
 * connections would wait in the kernel's backlog until it ends; with this the
 * script's periodic check takes them in, and `redis-cli script kill` works as
 * it does against Redis. The listening sockets are non-blocking (libuv makes
 * them so), so this never waits.
 */
#include <node_api.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

/* accept(fd): the new connection's descriptor, or -1 when none is waiting. */
static napi_value accept_connection(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t listener = -1;
  napi_value result;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_int32(env, argv[0], &listener) != napi_ok) {
    listener = -1;
  }
  /* accept then fcntl rather than accept4, which macOS lacks. */
  int fd = listener < 0 ? -1 : accept(listener, NULL, NULL);
  if (fd >= 0 && (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)) {
    close(fd);
    fd = -1;
  }
  napi_create_int32(env, fd < 0 ? -1 : fd, &result);
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "accept", NAPI_AUTO_LENGTH, accept_connection, NULL, &fn);
  napi_set_named_property(env, exports, "accept", fn);
  return exports;
}
