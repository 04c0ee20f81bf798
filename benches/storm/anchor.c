/* The anchor of the connect storm (docs/performance.md): what the kernel alone costs.
 *
 * Makes N nonblocking TCP connects to a listener of its own on 127.0.0.1 (backlog 4096), the
 * same calls socklab's storm script makes per socket (socket, FIONBIO, connect), then waits with
 * one epoll instance until every socket is writable (connected). The listener's accept queue is
 * drained as it goes, as socklab's @accept target does on its thread, so no SYN is dropped.
 *
 *   cc -O2 -o /tmp/storm-anchor benches/storm/anchor.c && /tmp/storm-anchor 5000
 *
 * Exit status 0 when all N connected within 60 s; prints the count to stderr. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int listener_fd;
static long accepted;

static void drain(void) {
    for (;;) {
        int a = accept4(listener_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (a < 0) return; /* EAGAIN: the queue is empty */
        accepted++;        /* kept open, as @accept keeps its sockets */
    }
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 5000;
    if (n <= 0 || n > 100000) { fprintf(stderr, "usage: anchor N (1..100000)\n"); return 2; }
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);

    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    listener_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (listener_fd < 0 || bind(listener_fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        listen(listener_fd, 4096) != 0 || getsockname(listener_fd, (struct sockaddr *)&sa, &len) != 0) {
        perror("listener");
        return 2;
    }
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (unsigned long)-1};
    epoll_ctl(ep, EPOLL_CTL_ADD, listener_fd, &ev);

    int *fds = calloc(n, sizeof *fds);
    for (int i = 0; i < n; i++) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        int on = 1;
        if (s < 0 || ioctl(s, FIONBIO, &on) != 0) { perror("socket"); return 2; }
        if (connect(s, (struct sockaddr *)&sa, sizeof sa) != 0 && errno != EINPROGRESS) {
            perror("connect");
            return 2;
        }
        fds[i] = s;
        ev.events = EPOLLOUT;
        ev.data.u64 = i;
        epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
        if ((i & 31) == 31) drain();
    }

    int left = n;
    struct epoll_event evs[1024];
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (left > 0) {
        int k = epoll_wait(ep, evs, 1024, 1000);
        for (int j = 0; j < k; j++) {
            if (evs[j].data.u64 == (unsigned long)-1) { drain(); continue; }
            epoll_ctl(ep, EPOLL_CTL_DEL, fds[evs[j].data.u64], NULL);
            left--;
        }
        clock_gettime(CLOCK_MONOTONIC, &t);
        if (t.tv_sec - t0.tv_sec > 60) break;
    }
    drain();
    fprintf(stderr, "anchor: %d connected, %ld accepted\n", n - left, accepted);
    return left == 0 ? 0 : 1;
}
