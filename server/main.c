/* main.c — imgmock's entry point: settings in, server up, wait for a signal, shut down cleanly.
 *
 * SIGINT and SIGTERM are blocked before civetweb starts its threads (they inherit the mask),
 * and the main thread alone takes them with sigwait(), so a signal never lands inside a worker
 * in the middle of a request.
 */
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "config.h"
#include "http.h"

extern char **environ;

enum { EXIT_START_FAILED = 1, EXIT_USAGE = 2 };
enum { DRAIN_MS = 30000 }; /* longest wait for requests in progress at shutdown */

int main(int argc, char **argv)
{
    struct cfg cfg;
    char err[512];
    int status = 0;
    switch (cfg_load(&cfg, argc, argv, environ, err, sizeof err)) {
    case CFG_HELP:
        cfg_usage(stdout);
        goto out;
    case CFG_VERSION:
        printf("imgmock %s\n", IMGMOCK_VERSION);
        goto out;
    case CFG_INVALID:
        fprintf(stderr, "imgmock: %s\nTry 'imgmock --help' for more information.\n", err);
        status = EXIT_USAGE;
        goto out;
    case CFG_RUN:
        break;
    }

    /* Image buffers are megabytes each, and the cache's entries tens of kilobytes. A fixed mmap
     * threshold sends every block from 32 KB up back to the system when freed: glibc's default
     * raises the threshold after the first big free, and the memory of one 4K request would then
     * stay in the process for good; and cache entries freed in LRU order left holes in the heap
     * that RSS kept (a 60 s mixed load at --cache-mb 64: 88 MB afterwards with a 256 KB
     * threshold, growing 5.7 MB from one phase to the next; 80 MB and +1.1 MB with 32 KB). */
    mallopt(M_MMAP_THRESHOLD, 32 * 1024);
    /* glibc gives threads up to 8 arenas per core, and freed memory stays in the arena that
     * held it: under a mixed load 128 workers spread the cache's entries over 16 arenas and
     * RSS doubled. Two arenas per core keep the contention low and the memory in one place. */
    mallopt(M_ARENA_MAX, 2 * (int)sysconf(_SC_NPROCESSORS_ONLN));

    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN); /* a client that hangs up is an error return, not a death */

    struct http_server *server;
    if (http_start(&cfg, &server, err, sizeof err) != 0) {
        fprintf(stderr, "imgmock: %s\n", err);
        status = EXIT_START_FAILED;
        goto out;
    }
    printf("imgmock listening on %s\n", http_base_url(server));
    fflush(stdout);

    int sig;
    sigwait(&stop_signals, &sig);
    http_stop(server, DRAIN_MS);
out:
    cfg_free(&cfg);
    return status;
}
