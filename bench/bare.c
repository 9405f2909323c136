/* bare — the ceiling of imgmock's stack: Debian's civetweb with one catch-all handler.
 *
 * Every request gets the same 152-byte JSON body (the size of imgmock's 404 envelope for
 * `GET /`), status line, headers and body in a single mg_write, keep-alive. Nothing else:
 * no routing, no auth, no JSON library, no logging. bench/run.sh compares imgmock against it.
 *
 *   bare [--port N] [--threads N]      (--port 0 picks a free port)
 *
 * Prints "bare listening on http://127.0.0.1:PORT" once listening; SIGINT/SIGTERM stop it.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <civetweb.h>

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* 152 bytes, like imgmock's 404 envelope for GET / */
static const char body[] =
    "{\n"
    "    \"error\": {\n"
    "        \"message\": \"Invalid URL (GET /)\",\n"
    "        \"type\": \"invalid_request_error\",\n"
    "        \"param\": null,\n"
    "        \"code\": null\n"
    "    }\n"
    "}\n";

static char response[512];
static int response_len;

static int handler(struct mg_connection *conn, void *cbdata)
{
    (void)cbdata;
    mg_write(conn, response, (size_t)response_len);
    return 404;
}

int main(int argc, char **argv)
{
    const char *port = "4020";
    const char *threads = "64";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--port") == 0 && i + 1 < argc)
            port = argv[++i];
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            threads = argv[++i];
        else {
            fprintf(stderr, "usage: bare [--port N] [--threads N]\n");
            return 2;
        }
    }
    response_len = snprintf(response, sizeof response,
                            "HTTP/1.1 404 Not Found\r\n"
                            "content-type: application/json\r\n"
                            "content-length: %zu\r\n"
                            "connection: keep-alive\r\n"
                            "\r\n%s",
                            sizeof body - 1, body);

    char listen[64];
    snprintf(listen, sizeof listen, "127.0.0.1:%s", port);
    const char *options[] = {"listening_ports", listen, "num_threads", threads,
                             "enable_keep_alive", "yes", NULL};

    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    mg_init_library(0);
    struct mg_callbacks callbacks;
    memset(&callbacks, 0, sizeof callbacks);
    struct mg_context *ctx = mg_start(&callbacks, NULL, options);
    if (!ctx) {
        fprintf(stderr, "bare: cannot listen on %s\n", listen);
        return 1;
    }
    mg_set_request_handler(ctx, "/", handler, NULL);

    struct mg_server_port ports[4];
    int n = mg_get_server_ports(ctx, 4, ports);
    if (n < 1) {
        fprintf(stderr, "bare: no listening port\n");
        mg_stop(ctx);
        return 1;
    }
    printf("bare listening on http://127.0.0.1:%d\n", ports[0].port);
    fflush(stdout);

    while (!stop_requested)
        pause();
    mg_stop(ctx);
    mg_exit_library();
    return 0;
}
