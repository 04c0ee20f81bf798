/*
 * socklab-agent: a Winsock 2 program that performs socklab's calls on a real ws2_32 and
 * answers each one in JSON, so that socklab can judge its `windows` model against it.
 *
 * Protocol (one request per line on stdin, one JSON object per line on stdout):
 *
 *   startup MAJOR MINOR           cleanup
 *   socket NAME tcp|udp v4|v6|af:N fionbio NAME 0|1
 *   setsockopt NAME OPTION VALUE  getsockopt NAME OPTION
 *   bind NAME ADDR LEN            listen NAME BACKLOG
 *   accept NAME NEW LIMIT_MS      connect NAME ADDR LEN
 *   wsaconnect NAME ADDR LEN DATA SQOS GQOS [CALLEE]  (CALLEE: an lpCalleeData buffer of that many
 *                                 bytes, at most 4096; the answer's value has its len after the call)
 *   connectex NAME ADDR LEN DATA
 *   select TIMEOUT_MS READ WRITE EXCEPT [SEC USEC]  (TIMEOUT_MS -1: no timeout; sets: a,b or -,
 *                                             or . for a set present but empty; SEC USEC: the
 *                                             timeval's fields as given, out of range too)
 *   poll TIMEOUT_MS SOCKS [MASK]             (WSAPoll with POLLRDNORM|POLLWRNORM, or MASK;
 *                                             an entry NAME:MASK or #N:MASK has its own mask)
 *   pollnull TIMEOUT_MS N                    (WSAPoll with a NULL array of N entries)
 *   eventselect NAME MASK         asyncselect NAME MASK        enum NAME
 *   getsockname NAME [null|lennull]  getpeername NAME [null|lennull]  (NULL name / namelen)
 *   optnull NAME OPTION 1|0 [N|lennull]  (setsockopt 1 / getsockopt 0 with a NULL optval, of
 *                                 the option's length or N; lennull: a buffer, NULL optlen)
 *   send NAME DATA                sendto NAME ADDR LEN DATA
 *   recv NAME LIMIT_MS            recvfrom NAME LIMIT_MS
 *   shutdown NAME 0|1|2           close NAME
 *   wait MS                       (let time pass, pumping window messages)
 *   until NAME connected|failed|event LIMIT_MS
 *   limit MS                      (a blocking connect longer than this is ended by closing
 *                                  its socket and answered as skipped; 0: no limit)
 *   pipe NAME                     (CreatePipe: a handle that is no socket)
 *   setsockopt_len NAME OPTION VALUE OPTLEN    getsockopt_len NAME OPTION OPTLEN
 *   getsockname_len NAME NAMELEN  getpeername_len NAME NAMELEN
 *   bspstate NAME OPTLEN          (getsockopt SO_BSP_STATE into a 296-byte buffer; OPTLEN `-`:
 *                                  all of it)
 *   after MS REQUEST              (REQUEST is made MS after this line by a second thread while
 *                                  the next blocking connect or gqcs waits, or before the first request
 *                                  that comes after that time; it answers nothing itself, the
 *                                  answer that follows it carries the note {"kind":"after"})
 *   now REQUEST                   (REQUEST is made at once by the thread that reads stdin, while
 *                                  the main thread is blocked in connect, recv, accept, wait or
 *                                  until; otherwise by the main thread before the next request.
 *                                  It answers nothing. `now cancel` ends a wait or an until early,
 *                                  and a select, a WSAPoll or a gqcs, which then answers
 *                                  {"skipped":"given up (Esc): ..."} unless something was ready)
 *   connectexnull NAME ADDR LEN   (ConnectEx with a NULL OVERLAPPED)
 *   ovset NAME VALUE              ovread NAME       (the socket's OVERLAPPED: Internal, InternalHigh)
 *   ovresult NAME WAIT WSA [OV]   (GetOverlappedResult, or WSAGetOverlappedResult when WSA is 1;
 *                                  OV: the OVERLAPPED named so instead of NAME's)
 *   iocp PORT                     iocpassoc NAME PORT KEY
 *   gqcs PORT TIMEOUT_MS          (GetQueuedCompletionStatus; TIMEOUT_MS -1: INFINITE)
 *   pqcs PORT KEY BYTES OWNER     (PostQueuedCompletionStatus with OWNER's OVERLAPPED; OWNER -: NULL)
 *   closehandle PORT              (CloseHandle on a completion port)
 *   sleepex MS ALERTABLE          (SleepEx; an alertable one runs the completion routines of
 *                                  wsarecv / wsasend requests made with ROUTINE 1)
 *   disconnectex NAME REUSE NULL  (DisconnectEx, TF_REUSE_SOCKET when REUSE is 1, no OVERLAPPED
 *                                  when NULL is 1)
 *   acceptex LISTENER NAME NULL [RECV LOCAL REMOTE]
 *                                 (AcceptEx into NAME, created beforehand; no OVERLAPPED when NULL
 *                                  is 1; SO_UPDATE_ACCEPT_CONTEXT then passes LISTENER; RECV is
 *                                  dwReceiveDataLength, at most 4096; LOCAL and REMOTE the address
 *                                  lengths, at most 256, -1 for sizeof(SOCKADDR_STORAGE) + 16)
 *   acceptaddrs NAME              (GetAcceptExSockaddrs on the buffer of the last AcceptEx into NAME)
 *   cancelio NAME EX              (CancelIo, or CancelIoEx(NAME, NULL) when EX is 1)
 *   wsaaccept NAME NEWNAME LIMIT_MS CF  (WSAAccept; CF 0: no condition function, 1 CF_ACCEPT,
 *                                  2 CF_REJECT, 3 CF_DEFER)
 *   wsarecv NAME [OV [ROUTINE]]   wsasend NAME HEX [OV [ROUTINE]]   (overlapped WSARecv /
 *                                  WSASend, NAME's OVERLAPPED or the one named OV (`-`: NAME's),
 *                                  with a completion routine when ROUTINE is 1)
 *   quit
 *
 * NAME is the script's socket name; `#N` is the raw descriptor value N. ADDR is `v4:A.B.C.D:P`,
 * `v6:[ADDR]:P`, `unspec` (a zeroed structure whose family is AF_UNSPEC), `af:N` (the same with
 * family number N) or `null` (a NULL
 * pointer); LEN is the namelen, `-` for the structure's own size. DATA is hex, `-` for none.
 *
 * Each answer: {"ret":R,"err":E,"ms":T,"value":{...},"notes":[...]} where E is
 * WSAGetLastError() after a failed call (0 otherwise), T the milliseconds the call took, and
 * notes the window messages (WSAAsyncSelect) and overlapped completions (ConnectEx) that arrived
 * since the previous answer. A request the agent does not make answers {"skipped":"why"}.
 *
 * The first line is a greeting: {"hello":"socklab-agent","version":1,"winsock":"2.2",...};
 * under Wine it carries "wine":"VERSION" (ntdll exports wine_get_version), telling socklab
 * that the agent's sockets are the host's own, so it and the host's kernel compete for ports.
 *
 * The agent connects, binds and sends only to the addresses in its requests; it opens nothing
 * on its own. Build: x86_64-w64-mingw32-gcc -O2 -Wall -Werror -o socklab-agent.exe
 * socklab-agent.c -lws2_32 -lmswsock, or with MSVC (Visual Studio 2015 or later, for snprintf):
 * cl /W4 /O2 socklab-agent.c ws2_32.lib mswsock.lib user32.lib (the #pragma comment lines
 * below name the same libraries). The source is C89 with Windows' own headers: no GNU
 * extension, no variable-length array, no declaration after a statement.
 */
#ifdef _MSC_VER
/* MSVC: strcpy, strncpy, strcat and strtok are used with their bounds checked here. */
#ifndef _CRT_SECURE_NO_WARNINGS
#define _CRT_SECURE_NO_WARNINGS
#endif
#endif
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef _WIN32_WINNT
#define _WIN32_WINNT 0x0600 /* WSAPoll: Windows Vista and later */
#endif
#include <winsock2.h>
#include <ws2tcpip.h>
#include <mswsock.h>
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _MSC_VER
#pragma comment(lib, "ws2_32.lib")
#pragma comment(lib, "mswsock.lib")
#pragma comment(lib, "user32.lib")
#define strcasecmp _stricmp
#endif

#ifndef TCP_MAXRT
#define TCP_MAXRT 5
#endif
#ifndef SO_CONNECT_TIME
#define SO_CONNECT_TIME 0x700C
#endif
#ifndef SO_UPDATE_ACCEPT_CONTEXT
#define SO_UPDATE_ACCEPT_CONTEXT 0x700B
#endif
#ifndef SO_UPDATE_CONNECT_CONTEXT
#define SO_UPDATE_CONNECT_CONTEXT 0x7010
#endif
#ifndef SO_BSP_STATE
#define SO_BSP_STATE 0x1009
#endif

#define MAX_SOCKS 8192 /* a storm of 5,000 sockets fits; past it a socket call is answered as not made */
#define MAX_NOTES 64
#define LINE_MAX_LEN 8192
#define WM_SOCKLAB (WM_USER + 1)

struct sock {
    char name[64];
    SOCKET s;
    int used;
    WSAEVENT ev;          /* WSAEventSelect's event, created on first use */
    OVERLAPPED ov;        /* ConnectEx */
    int ov_pending;
    char sendbuf[1024];
};

static struct sock socks[MAX_SOCKS];
/* winapi-ov: the call each socket's OVERLAPPED was last given to (NULL: ConnectEx). */
static const char *ov_ops[MAX_SOCKS];
/* acceptex: the listener each socket was last given to AcceptEx with, and the buffer AcceptEx
 * writes the addresses into when it completes (it must outlive the call). */
static SOCKET ax_listener[MAX_SOCKS];
/* acceptex2: each socket's AcceptEx buffer (allocated on first use: 4096 bytes of data and two
 * address slots of 256 bytes at most) and the lengths it was given. */
#define AX_BUF_LEN (4096 + 2 * 256)
static char *ax_buf[MAX_SOCKS];
static DWORD ax_lens[MAX_SOCKS][3];
/* wsaio: the buffer each socket's overlapped WSARecv or WSASend is given. */
static char io_buf[MAX_SOCKS][2048];
/* iocp2: OVERLAPPED structures a request names (ov=NAME) that are no socket's own, each with
 * the socket and call it was last given to and that call's buffer. */
#define MAX_NAMED_OVS 64
static struct named_ov {
    char name[64];
    OVERLAPPED ov;
    int pending;
    SOCKET s;
    char sock[64];
    const char *op;
    char buf[2048];
} named_ovs[MAX_NAMED_OVS];
/* Per-socket FIONBIO as the agent last set it (Winsock cannot read it back). */
static u_long nb_flags[MAX_SOCKS];
static HWND hwnd;
static LPFN_CONNECTEX connectex_fn;
static char notes[MAX_NOTES][256];
static int nnotes;
static LARGE_INTEGER freq;
static DWORD block_limit; /* ms; 0: a blocking connect may block as long as Winsock wants */

struct watch {
    SOCKET s;
    HANDLE done;
    volatile LONG fired;
};

static DWORD WINAPI watchdog(LPVOID arg)
{
    struct watch *w = (struct watch *)arg;
    if (WaitForSingleObject(w->done, block_limit) == WAIT_TIMEOUT) {
        InterlockedExchange(&w->fired, 1);
        closesocket(w->s);
    }
    return 0;
}

static void add_note(const char *text)
{
    if (nnotes < MAX_NOTES) {
        snprintf(notes[nnotes], sizeof notes[0], "%s", text);
        nnotes++;
    }
}

static struct sock *by_handle(SOCKET s)
{
    int i;
    for (i = 0; i < MAX_SOCKS; i++)
        if (socks[i].used && socks[i].s == s)
            return &socks[i];
    return NULL;
}

/* iocp2: the named OVERLAPPED `name`, made (zeroed) on first use when `create`; NULL when the
 * table is full or `create` is 0 and there is none. */
static struct named_ov *named_ov(const char *name, int create)
{
    int i, free_slot = -1;
    for (i = 0; i < MAX_NAMED_OVS; i++) {
        if (named_ovs[i].name[0] && strcmp(named_ovs[i].name, name) == 0)
            return &named_ovs[i];
        if (!named_ovs[i].name[0] && free_slot < 0)
            free_slot = i;
    }
    if (!create || free_slot < 0)
        return NULL;
    snprintf(named_ovs[free_slot].name, sizeof named_ovs[free_slot].name, "%s", name);
    return &named_ovs[free_slot];
}

static LRESULT CALLBACK wndproc(HWND w, UINT msg, WPARAM wp, LPARAM lp)
{
    if (msg == WM_SOCKLAB) {
        char buf[256];
        struct sock *k = by_handle((SOCKET)wp);
        snprintf(buf, sizeof buf, "{\"kind\":\"message\",\"sock\":\"%s\",\"event\":%u,\"error\":%u}",
                 k ? k->name : "?", (unsigned)WSAGETSELECTEVENT(lp), (unsigned)WSAGETSELECTERROR(lp));
        add_note(buf);
        return 0;
    }
    return DefWindowProcA(w, msg, wp, lp);
}

/* Deliver queued window messages and note finished overlapped operations. */
static void pump(void)
{
    MSG m;
    int i;
    while (PeekMessageA(&m, NULL, 0, 0, PM_REMOVE)) {
        TranslateMessage(&m);
        DispatchMessageA(&m);
    }
    for (i = 0; i < MAX_SOCKS; i++) {
        struct sock *k = &socks[i];
        DWORD bytes = 0, flags = 0;
        char buf[256];
        if (!k->used || !k->ov_pending)
            continue;
        if (WaitForSingleObject(k->ov.hEvent, 0) != WAIT_OBJECT_0)
            continue;
        if (WSAGetOverlappedResult(k->s, &k->ov, &bytes, FALSE, &flags)) {
            snprintf(buf, sizeof buf, "{\"kind\":\"completion\",\"op\":\"%s\",\"sock\":\"%s\",\"error\":0,\"bytes\":%lu}",
                     ov_ops[i] ? ov_ops[i] : "ConnectEx", k->name, (unsigned long)bytes);
        } else {
            int e = WSAGetLastError();
            if (e == WSA_IO_INCOMPLETE)
                continue;
            snprintf(buf, sizeof buf, "{\"kind\":\"completion\",\"op\":\"%s\",\"sock\":\"%s\",\"error\":%d,\"bytes\":%lu}",
                     ov_ops[i] ? ov_ops[i] : "ConnectEx", k->name, e, (unsigned long)bytes);
        }
        k->ov_pending = 0;
        add_note(buf);
    }
    for (i = 0; i < MAX_NAMED_OVS; i++) {
        struct named_ov *o = &named_ovs[i];
        DWORD bytes = 0, flags = 0;
        char buf[256];
        int e = 0;
        if (!o->pending || WaitForSingleObject(o->ov.hEvent, 0) != WAIT_OBJECT_0)
            continue;
        if (!WSAGetOverlappedResult(o->s, &o->ov, &bytes, FALSE, &flags)) {
            e = WSAGetLastError();
            if (e == WSA_IO_INCOMPLETE)
                continue;
        }
        snprintf(buf, sizeof buf, "{\"kind\":\"completion\",\"op\":\"%s\",\"sock\":\"%s\",\"error\":%d,\"bytes\":%lu}",
                 o->op ? o->op : "?", o->sock, e, (unsigned long)bytes);
        o->pending = 0;
        add_note(buf);
    }
}

static void after_run_due(void);

/* ---- abort: requests made while the main thread blocks (`now REQUEST`) ---- */

/* Held while the stdin thread makes a `now` request, and by the main thread when a blocking
 * call begins or ends: the two never change the socket table at the same time. */
static CRITICAL_SECTION side_cs;
/* The main thread is inside a call that may block: a `now` request is made at once. */
static volatile LONG in_block;
/* `now cancel`: a wait or an until in progress ends early. */
static volatile LONG cancel_wait;
/* esc3: while the main thread blocks, 1 a select or a WSAPoll watching wake_sock, 2 a
 * GetQueuedCompletionStatus on wake_port; 0 otherwise (see wake_ready). Changed under side_cs. */
static volatile LONG wake_kind;

static void block_begin(void)
{
    EnterCriticalSection(&side_cs);
    in_block = 1;
    cancel_wait = 0;
    LeaveCriticalSection(&side_cs);
}

static void block_end(void)
{
    EnterCriticalSection(&side_cs);
    in_block = 0;
    wake_kind = 0;
    LeaveCriticalSection(&side_cs);
}

/* esc3: giving up (`now cancel`, the TUI's Esc) on a select, a WSAPoll or a
 * GetQueuedCompletionStatus without touching the script's sockets or ports. A select or a
 * WSAPoll also watches a loopback UDP socket of the agent's own, which the stdin thread sends a
 * datagram to; a GetQueuedCompletionStatus is sent a packet of the agent's own (WAKE_KEY, no
 * OVERLAPPED, the wait's number as its byte count). Neither is ever reported to socklab. */
#define WAKE_KEY ((ULONG_PTR)0x50C4AB1EUL)
static SOCKET wake_sock = INVALID_SOCKET;
static struct sockaddr_in wake_addr;
static HANDLE wake_port;
static DWORD wake_gen;

/* The wake socket, made (again) when missing: a script's WSACleanup may have taken it, and its
 * handle value may now be a socket of the script's, so it is trusted only while it is still a
 * UDP socket bound to the same loopback port. 0 when there is none (the wait then runs on). */
static int wake_ready(void)
{
    struct sockaddr_in a;
    int type = 0, len = sizeof type, alen = sizeof a;
    u_long one = 1;
    if (wake_sock != INVALID_SOCKET &&
        getsockopt(wake_sock, SOL_SOCKET, SO_TYPE, (char *)&type, &len) == 0 && type == SOCK_DGRAM &&
        getsockname(wake_sock, (struct sockaddr *)&a, &alen) == 0 && a.sin_family == AF_INET &&
        a.sin_port == wake_addr.sin_port && a.sin_addr.s_addr == wake_addr.sin_addr.s_addr)
        return 1;
    /* Not closed: the handle may belong to the script now. */
    wake_sock = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    if (wake_sock == INVALID_SOCKET)
        return 0;
    memset(&wake_addr, 0, sizeof wake_addr);
    wake_addr.sin_family = AF_INET;
    wake_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    alen = sizeof wake_addr;
    if (bind(wake_sock, (struct sockaddr *)&wake_addr, sizeof wake_addr) != 0 ||
        getsockname(wake_sock, (struct sockaddr *)&wake_addr, &alen) != 0 || ioctlsocket(wake_sock, FIONBIO, &one) != 0) {
        closesocket(wake_sock);
        wake_sock = INVALID_SOCKET;
        return 0;
    }
    return 1;
}

/* Whether the handle is a socket: the wake socket joins only a wait that already holds one of
 * the script's, since WSAPoll's and select's answer for an array or sets of invalid handles
 * alone (WSAENOTSOCK) would change with a valid socket beside them. */
static int is_socket(SOCKET s)
{
    int type = 0, len = sizeof type;
    return s != INVALID_SOCKET && getsockopt(s, SOL_SOCKET, SO_TYPE, (char *)&type, &len) == 0;
}

/* The main thread is about to wait in a call Esc can now end (kind 1 or 2, see wake_kind). */
static void block_begin_wake(LONG kind, HANDLE port)
{
    EnterCriticalSection(&side_cs);
    in_block = 1;
    cancel_wait = 0;
    wake_kind = kind;
    wake_port = port;
    wake_gen++;
    LeaveCriticalSection(&side_cs);
}

/* From the stdin thread, under side_cs: end the wait the main thread is in. */
static void wake_signal(void)
{
    if (wake_kind == 1 && wake_sock != INVALID_SOCKET)
        sendto(wake_sock, "!", 1, 0, (struct sockaddr *)&wake_addr, sizeof wake_addr);
    else if (wake_kind == 2)
        PostQueuedCompletionStatus(wake_port, wake_gen, WAKE_KEY, NULL);
}

/* Empty the wake socket (a datagram sent as the wait ended on its own stays there). */
static void wake_drain(void)
{
    char b[8];
    int i;
    for (i = 0; i < 64 && wake_sock != INVALID_SOCKET && recv(wake_sock, b, sizeof b, 0) > 0; i++)
        ;
}

/* ---- end of abort ---- */

/* Sleep `ms` while delivering window messages and completions as they come. */
static void pass_time(DWORD ms)
{
    DWORD start = GetTickCount();
    for (;;) {
        DWORD now = GetTickCount(), left;
        after_run_due();
        pump();
        if (now - start >= ms || cancel_wait)
            break;
        left = ms - (now - start);
        MsgWaitForMultipleObjects(0, NULL, FALSE, left < 10 ? left : 10, QS_ALLINPUT);
    }
}

static double now_ms(void)
{
    LARGE_INTEGER c;
    QueryPerformanceCounter(&c);
    return (double)c.QuadPart * 1000.0 / (double)freq.QuadPart;
}

static void json_str(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

/* The thread whose answers are not printed: the one making an `after` request. */
static volatile DWORD quiet_tid;
static volatile LONG after_ran;

static int quiet(void)
{
    return quiet_tid != 0 && quiet_tid == GetCurrentThreadId();
}

static void skipped(const char *why)
{
    if (quiet())
        return;
    printf("{\"skipped\":");
    json_str(why);
    printf("}\n");
    fflush(stdout);
}

/* The end of every performed call: return value, error, time, value (already formatted) and
 * the notes gathered since the last answer. */
static void answer(long long ret, int err, double ms, const char *value)
{
    int i;
    if (quiet())
        return;
    if (InterlockedExchange(&after_ran, 0))
        add_note("{\"kind\":\"after\"}");
    pump();
    printf("{\"ret\":%lld,\"err\":%d,\"ms\":%.3f", ret, err, ms);
    if (value && *value)
        printf(",\"value\":%s", value);
    printf(",\"notes\":[");
    for (i = 0; i < nnotes; i++)
        printf("%s%s", i ? "," : "", notes[i]);
    printf("]}\n");
    fflush(stdout);
    nnotes = 0;
}

static struct sock *find(const char *name)
{
    int i;
    for (i = 0; i < MAX_SOCKS; i++)
        if (socks[i].used && strcmp(socks[i].name, name) == 0)
            return &socks[i];
    return NULL;
}

/* The handle a request names: a named socket, or `#N` (a raw value). INVALID_SOCKET when
 * neither. */
static SOCKET handle(const char *name)
{
    struct sock *k;
    if (name[0] == '#')
        return (SOCKET)_strtoui64(name + 1, NULL, 10);
    k = find(name);
    return k ? k->s : INVALID_SOCKET;
}

static struct sock *new_sock(const char *name, SOCKET s)
{
    int i;
    struct sock *k = find(name);
    if (!k)
        for (i = 0; i < MAX_SOCKS; i++)
            if (!socks[i].used) {
                k = &socks[i];
                break;
            }
    if (!k)
        return NULL;
    memset(k, 0, sizeof *k);
    nb_flags[k - socks] = 0;
    k->used = 1;
    k->s = s;
    strncpy(k->name, name, sizeof k->name - 1);
    return k;
}

static void forget(struct sock *k)
{
    if (k->ev)
        WSACloseEvent(k->ev);
    if (k->ov.hEvent)
        WSACloseEvent(k->ov.hEvent);
    k->used = 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decode hex DATA into out (at most cap bytes); `-` is empty. Returns the length. */
static int unhex(const char *s, char *out, int cap)
{
    int n = 0;
    if (strcmp(s, "-") == 0)
        return 0;
    while (s[0] && s[1] && n < cap) {
        int hi = hexval(s[0]), lo = hexval(s[1]);
        if (hi < 0 || lo < 0)
            break;
        out[n++] = (char)(hi * 16 + lo);
        s += 2;
    }
    return n;
}

static void hex(const char *data, int n, char *out)
{
    static const char d[] = "0123456789abcdef";
    int i;
    for (i = 0; i < n; i++) {
        out[2 * i] = d[(unsigned char)data[i] >> 4];
        out[2 * i + 1] = d[(unsigned char)data[i] & 15];
    }
    out[2 * n] = 0;
}

/* Parse ADDR and LEN into a sockaddr. *null is set for a NULL pointer. 0 on a bad address. */
static int parse_addr(const char *a, const char *len, struct sockaddr_storage *ss, int *sslen, int *null)
{
    memset(ss, 0, sizeof *ss);
    *null = 0;
    if (strcmp(a, "null") == 0) {
        *null = 1;
        *sslen = 0;
    } else if (strcmp(a, "unspec") == 0) {
        ss->ss_family = AF_UNSPEC;
        *sslen = (int)sizeof(struct sockaddr_in);
    } else if (strncmp(a, "af:", 3) == 0) {
        /* winapi-args: a zeroed sockaddr_in-sized structure of an arbitrary family number */
        ss->ss_family = (ADDRESS_FAMILY)atoi(a + 3);
        *sslen = (int)sizeof(struct sockaddr_in);
    } else if (strncmp(a, "v4:", 3) == 0) {
        struct sockaddr_in *in = (struct sockaddr_in *)ss;
        char host[64];
        const char *colon = strrchr(a + 3, ':');
        size_t hl;
        if (!colon)
            return 0;
        hl = (size_t)(colon - (a + 3));
        if (hl >= sizeof host)
            return 0;
        memcpy(host, a + 3, hl);
        host[hl] = 0;
        in->sin_family = AF_INET;
        in->sin_port = htons((u_short)atoi(colon + 1));
        if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
            return 0;
        *sslen = (int)sizeof *in;
    } else if (strncmp(a, "v6:[", 4) == 0) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
        char host[64];
        const char *end = strchr(a, ']');
        size_t hl;
        if (!end || end[1] != ':')
            return 0;
        hl = (size_t)(end - (a + 4));
        if (hl >= sizeof host)
            return 0;
        memcpy(host, a + 4, hl);
        host[hl] = 0;
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((u_short)atoi(end + 2));
        if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
            return 0;
        *sslen = (int)sizeof *in6;
    } else {
        return 0;
    }
    if (strcmp(len, "-") != 0)
        *sslen = atoi(len);
    return 1;
}

/* acceptex2: WSAAccept's condition function answers what its callback data says. */
static int CALLBACK accept_condition(LPWSABUF caller_id, LPWSABUF caller_data, LPQOS sqos, LPQOS gqos,
                                     LPWSABUF callee_id, LPWSABUF callee_data, GROUP *g, DWORD_PTR answer_)
{
    (void)caller_id;
    (void)caller_data;
    (void)sqos;
    (void)gqos;
    (void)callee_id;
    (void)callee_data;
    (void)g;
    return (int)answer_;
}

/* acceptex2: an IPv4 or IPv6 address as "A:P" / "[A]:P"; empty for another family. */
static void addr_string(const struct sockaddr *sa, char *out, size_t cap)
{
    char host[64] = "?";
    out[0] = 0;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, (void *)&in->sin_addr, host, sizeof host);
        snprintf(out, cap, "%s:%u", host, (unsigned)ntohs(in->sin_port));
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, (void *)&in6->sin6_addr, host, sizeof host);
        snprintf(out, cap, "[%s]:%u", host, (unsigned)ntohs(in6->sin6_port));
    }
}

static void addr_value(const struct sockaddr *sa, char *out, size_t cap)
{
    char text[80];
    addr_string(sa, text, sizeof text);
    if (text[0])
        snprintf(out, cap, "{\"addr\":\"%s\"}", text);
    else
        snprintf(out, cap, "{\"family\":%u}", (unsigned)sa->sa_family);
}

/* bsp: one SOCKET_ADDRESS of a CSADDR_INFO as a JSON string, or null when it is empty. */
static void bsp_addr(const SOCKET_ADDRESS *a, char *out, size_t cap)
{
    char v[96], *q1, *q2;
    if (!a->lpSockaddr || a->iSockaddrLength == 0) {
        snprintf(out, cap, "null");
        return;
    }
    addr_value(a->lpSockaddr, v, sizeof v);
    q1 = strchr(v, ':');
    q2 = q1 ? strrchr(v, '"') : NULL;
    if (!q1 || !q2 || q2 <= q1 + 1) {
        snprintf(out, cap, "null");
        return;
    }
    /* addr_value wrote {"addr":"HOST:PORT"}: keep the quoted string. */
    *(q2 + 1) = 0;
    snprintf(out, cap, "%s", q1 + 1);
}

/* An option by socklab's name: level, option number, and whether it is a DWORD of
 * milliseconds, a LINGER, or a BOOL/int. */
struct opt {
    const char *name;
    int level, opt;
    int kind; /* 0 int, 1 linger */
};

static const struct opt opts[] = {
    {"SO_BROADCAST", SOL_SOCKET, SO_BROADCAST, 0},
    {"SO_REUSEADDR", SOL_SOCKET, SO_REUSEADDR, 0},
    {"SO_ERROR", SOL_SOCKET, SO_ERROR, 0},
    {"SO_CONNECT_TIME", SOL_SOCKET, SO_CONNECT_TIME, 0},
    {"SO_UPDATE_CONNECT_CONTEXT", SOL_SOCKET, SO_UPDATE_CONNECT_CONTEXT, 0},
    {"SO_UPDATE_ACCEPT_CONTEXT", SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT, 0},
    {"SO_SNDTIMEO", SOL_SOCKET, SO_SNDTIMEO, 0},
    {"SO_KEEPALIVE", SOL_SOCKET, SO_KEEPALIVE, 0},
    {"SO_LINGER", SOL_SOCKET, SO_LINGER, 1},
    {"TCP_NODELAY", IPPROTO_TCP, TCP_NODELAY, 0},
    {"TCP_MAXRT", IPPROTO_TCP, TCP_MAXRT, 0},
    {"IPV6_V6ONLY", IPPROTO_IPV6, IPV6_V6ONLY, 0},
};

static const struct opt *find_opt(const char *name)
{
    size_t i;
    for (i = 0; i < sizeof opts / sizeof opts[0]; i++)
        if (strcmp(opts[i].name, name) == 0)
            return &opts[i];
    return NULL;
}

/* Split a line into at most max whitespace-separated words. */
static int split(char *line, char **w, int max)
{
    int n = 0;
    char *p = line;
    while (*p && n < max) {
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
            *p++ = 0;
        if (!*p)
            break;
        w[n++] = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
            p++;
    }
    while (*p) {
        if (*p == '\r' || *p == '\n')
            *p = 0;
        p++;
    }
    return n;
}

/* Fill an fd_set from `a,b,c` (or `-`), remembering the handles in order. */
static void fill_set(char *list, fd_set *set, SOCKET *hs, char names[][64], int *n)
{
    char *tok;
    FD_ZERO(set);
    *n = 0;
    if (strcmp(list, "-") == 0)
        return;
    for (tok = strtok(list, ","); tok && *n < FD_SETSIZE; tok = strtok(NULL, ",")) {
        hs[*n] = handle(tok);
        strncpy(names[*n], tok, 63);
        names[*n][63] = 0;
        FD_SET(hs[*n], set);
        (*n)++;
    }
}

static void set_json(char *out, size_t cap, fd_set *set, SOCKET *hs, char names[][64], int n)
{
    int i, first = 1;
    size_t len = strlen(out);
    snprintf(out + len, cap - len, "[");
    for (i = 0; i < n; i++)
        if (FD_ISSET(hs[i], set)) {
            len = strlen(out);
            snprintf(out + len, cap - len, "%s\"%s\"", first ? "" : ",", names[i]);
            first = 0;
        }
    len = strlen(out);
    snprintf(out + len, cap - len, "]");
}

/* Whether a blocking call on s would return within limit_ms: readable or in error. The wait
 * ends early when a `now` request was made meanwhile (the TUI's Esc: see cancel_wait). */
static int ready_within(SOCKET s, int limit_ms)
{
    DWORD start = GetTickCount();
    for (;;) {
        fd_set r, x;
        struct timeval tv;
        int left = limit_ms - (int)(GetTickCount() - start), slice = left < 50 ? left : 50;
        FD_ZERO(&r);
        FD_ZERO(&x);
        FD_SET(s, &r);
        FD_SET(s, &x);
        tv.tv_sec = 0;
        tv.tv_usec = (slice > 0 ? slice : 0) * 1000;
        if (select(0, &r, NULL, &x, &tv) != 0)
            return 1;
        if (cancel_wait || left <= 0)
            return 0;
    }
}

/* Whether a completion note for the socket is waiting to be reported. */
static int completed(const char *name)
{
    int i;
    char key[96];
    snprintf(key, sizeof key, "\"sock\":\"%s\"", name);
    for (i = 0; i < nnotes; i++)
        if (strstr(notes[i], "\"completion\"") && strstr(notes[i], key))
            return 1;
    return 0;
}


static u_long nonblocking_of(struct sock *k)
{
    return nb_flags[k - socks];
}

static int load_connectex(SOCKET s)
{
    GUID guid = WSAID_CONNECTEX;
    DWORD bytes = 0;
    if (connectex_fn)
        return 1;
    if (WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &guid, sizeof guid, &connectex_fn, sizeof connectex_fn,
                 &bytes, NULL, NULL) != 0)
        return 0;
    return connectex_fn != NULL;
}

/* A Winsock extension function (AcceptEx, GetAcceptExSockaddrs) loaded once into *fn through a
 * probe TCP socket; 0 when it cannot be. */
static int load_extension(GUID guid, void *fn, DWORD fn_size)
{
    DWORD got = 0;
    SOCKET probe;
    int r;
    if (*(void **)fn)
        return 1;
    probe = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    r = WSAIoctl(probe, SIO_GET_EXTENSION_FUNCTION_POINTER, &guid, sizeof guid, fn, fn_size, &got, NULL, NULL);
    closesocket(probe);
    return r == 0 && *(void **)fn != NULL;
}

static void handle_line(char *line);

/* ---- pipes, short optlen/namelen, calls from a second thread ---- */

/* Per-socket: a pipe's read handle stands in the socket table (CreatePipe; no socket). */
static HANDLE pipe_write[MAX_SOCKS];

/* `after MS REQUEST`: the request and when it is due. */
static char after_req[LINE_MAX_LEN];
static int after_pending;
static DWORD after_ms;
static double after_due; /* now_ms() when due; 0 until the next request starts the clock */
static HANDLE after_thread, after_cancel;

/* Make the stored request now, without printing its answer. */
static void after_make(void)
{
    char line[LINE_MAX_LEN];
    DWORD me = GetCurrentThreadId();
    memcpy(line, after_req, sizeof line);
    after_pending = 0;
    quiet_tid = me;
    handle_line(line);
    quiet_tid = 0;
    InterlockedExchange(&after_ran, 1);
    /* A recv or an accept waiting for readiness goes on (or gives up): see ready_within. */
    if (after_thread)
        cancel_wait = 1;
}

/* Before a request, and while time passes: the stored request when its time has come. */
static void after_run_due(void)
{
    /* The script's clock stands still between two requests: MS counts from the next one. */
    if (after_pending && after_due == 0)
        after_due = now_ms() + after_ms;
    if (after_pending && !after_thread && now_ms() >= after_due)
        after_make();
}

static DWORD WINAPI after_main(LPVOID arg)
{
    (void)arg;
    for (;;) {
        double left = after_due - now_ms();
        if (left <= 0) {
            after_make();
            return 0;
        }
        /* A wait may end a little early: wait again for what is left. */
        if (WaitForSingleObject(after_cancel, (DWORD)left + 1) != WAIT_TIMEOUT)
            return 0;
    }
}

/* Before a call that may block: a second thread makes the stored request at its time. */
static void after_arm(int blocking)
{
    if (!after_pending || !blocking)
        return;
    after_cancel = CreateEventA(NULL, TRUE, FALSE, NULL);
    after_thread = CreateThread(NULL, 0, after_main, NULL, 0, NULL);
    if (!after_thread)
        CloseHandle(after_cancel);
}

/* After it: a request not yet due stays stored for later. */
static void after_disarm(void)
{
    if (!after_thread)
        return;
    SetEvent(after_cancel);
    WaitForSingleObject(after_thread, INFINITE);
    CloseHandle(after_thread);
    CloseHandle(after_cancel);
    after_thread = NULL;
}

/* The requests added for pipes, lengths and `after`; 1 when the request was one of them. */
static int extra_request(char **w, int n, double t0)
{
    char value[512];
    struct sock *k;
    int r, err;
    value[0] = 0;
    if (strcmp(w[0], "after") == 0) {
        size_t used = 0;
        int i;
        if (n < 3) {
            skipped("too few words in the request");
            return 1;
        }
        after_req[0] = 0;
        for (i = 2; i < n; i++) {
            size_t wl = strlen(w[i]);
            if (used + wl + 2 >= sizeof after_req)
                break;
            if (i > 2)
                after_req[used++] = ' ';
            memcpy(after_req + used, w[i], wl);
            used += wl;
            after_req[used] = 0;
        }
        after_ms = (DWORD)atol(w[1]);
        after_due = 0;
        after_pending = 1;
        answer(0, 0, now_ms() - t0, value);
        return 1;
    }
    if (strcmp(w[0], "pipe") == 0) {
        HANDLE rd = NULL, wr = NULL;
        if (n < 2) {
            skipped("too few words in the request");
            return 1;
        }
        if (!CreatePipe(&rd, &wr, NULL, 0)) {
            answer(-1, (int)GetLastError(), now_ms() - t0, value);
            return 1;
        }
        k = find(w[1]);
        if (k)
            forget(k);
        k = new_sock(w[1], (SOCKET)rd);
        if (!k) {
            CloseHandle(rd);
            CloseHandle(wr);
            skipped("too many sockets in the agent");
            return 1;
        }
        pipe_write[k - socks] = wr;
        answer((long long)(UINT_PTR)rd, 0, now_ms() - t0, value);
        return 1;
    }
    if (strcmp(w[0], "setsockopt_len") == 0) {
        const struct opt *o;
        DWORD v;
        if (n < 5) {
            skipped("too few words in the request");
            return 1;
        }
        o = find_opt(w[2]);
        if (!o || o->kind != 0) {
            skipped("optlen is passed only with int options");
            return 1;
        }
        v = (DWORD)atoi(w[3]);
        r = setsockopt(handle(w[1]), o->level, o->opt, (const char *)&v, atoi(w[4]));
        err = WSAGetLastError();
        answer(r, r == SOCKET_ERROR ? err : 0, now_ms() - t0, value);
        return 1;
    }
    if (strcmp(w[0], "getsockopt_len") == 0) {
        const struct opt *o;
        DWORD v = 0;
        int len;
        if (n < 4) {
            skipped("too few words in the request");
            return 1;
        }
        o = find_opt(w[2]);
        if (!o || o->kind != 0 || o->opt == SO_ERROR) {
            skipped("optlen is passed only with int options other than SO_ERROR");
            return 1;
        }
        len = atoi(w[3]);
        if (len < 0 || len > (int)sizeof v) {
            skipped("an optlen longer than the agent's DWORD");
            return 1;
        }
        r = getsockopt(handle(w[1]), o->level, o->opt, (char *)&v, &len);
        err = WSAGetLastError();
        if (r == 0) {
            /* Only the bytes Winsock wrote count: the value is the low bytes. */
            if (len < (int)sizeof v)
                v &= len > 0 ? (DWORD)((1ul << (8 * len)) - 1) : 0;
            snprintf(value, sizeof value, "{\"int\":%ld}", (long)(int)v);
        }
        answer(r, r == SOCKET_ERROR ? err : 0, now_ms() - t0, value);
        return 1;
    }
    /* bsp: getsockopt SO_BSP_STATE, the CSADDR_INFO and the two sockaddrs it points to */
    if (strcmp(w[0], "bspstate") == 0) {
        union {
            CSADDR_INFO cs;
            char space[296];
        } v;
        char local[80], remote[80];
        int len = (int)sizeof v;
        if (n < 3) {
            skipped("too few words in the request");
            return 1;
        }
        if (strcmp(w[2], "-") != 0)
            len = atoi(w[2]);
        if (len < 0 || len > (int)sizeof v) {
            skipped("an optlen longer than the agent's buffer");
            return 1;
        }
        memset(&v, 0, sizeof v);
        r = getsockopt(handle(w[1]), SOL_SOCKET, SO_BSP_STATE, (char *)&v, &len);
        err = WSAGetLastError();
        if (r == 0) {
            bsp_addr(&v.cs.LocalAddr, local, sizeof local);
            bsp_addr(&v.cs.RemoteAddr, remote, sizeof remote);
            snprintf(value, sizeof value, "{\"csaddr\":{\"local\":%s,\"remote\":%s,\"type\":%d,\"protocol\":%d,\"optlen\":%d}}",
                     local, remote, v.cs.iSocketType, v.cs.iProtocol, len);
        }
        answer(r, r == SOCKET_ERROR ? err : 0, now_ms() - t0, value);
        return 1;
    }
    if (strcmp(w[0], "getsockname_len") == 0 || strcmp(w[0], "getpeername_len") == 0) {
        struct sockaddr_storage ss;
        int len;
        if (n < 3) {
            skipped("too few words in the request");
            return 1;
        }
        len = atoi(w[2]);
        if (len < 0 || len > (int)sizeof ss) {
            skipped("a namelen longer than the agent's sockaddr_storage");
            return 1;
        }
        memset(&ss, 0, sizeof ss);
        if (w[0][3] == 's')
            r = getsockname(handle(w[1]), (struct sockaddr *)&ss, &len);
        else
            r = getpeername(handle(w[1]), (struct sockaddr *)&ss, &len);
        err = WSAGetLastError();
        if (r == 0)
            addr_value((struct sockaddr *)&ss, value, sizeof value);
        answer(r, r == SOCKET_ERROR ? err : 0, now_ms() - t0, value);
        return 1;
    }
    return 0;
}

/* ---- end of pipes, lengths and `after` ---- */

/* ---- winapi-ov: the OVERLAPPED, its results and completion ports ---- */

/* The socket's OVERLAPPED, cleared for a new overlapped call, with its event created or reset;
 * NULL (answered as not made) when there is no such socket or a call still uses it. */
static OVERLAPPED *fresh_ov(struct sock *k)
{
    HANDLE h;
    if (!k) {
        skipped("the agent keeps the OVERLAPPED of open sockets only");
        return NULL;
    }
    if (k->ov_pending) {
        skipped("the socket's OVERLAPPED is still in use by a pending call");
        return NULL;
    }
    h = k->ov.hEvent ? k->ov.hEvent : WSACreateEvent();
    WSAResetEvent(h);
    memset(&k->ov, 0, sizeof k->ov);
    k->ov.hEvent = h;
    return &k->ov;
}

#define MAX_PORTS 16
static struct {
    char name[64];
    HANDLE h;
} ports[MAX_PORTS];

static HANDLE port_of(const char *name)
{
    int i;
    for (i = 0; i < MAX_PORTS; i++)
        if (ports[i].h && strcmp(ports[i].name, name) == 0)
            return ports[i].h;
    return NULL;
}

/* iocp2: the completion routine of wsarecv / wsasend requests made with one; it runs in an
 * alertable wait (sleepex) and notes the completion as the event of other calls would. */
static void CALLBACK io_routine(DWORD error, DWORD bytes, LPWSAOVERLAPPED ov, DWORD flags)
{
    char buf[256];
    const char *sock = "?", *op = "?";
    int i;
    (void)flags;
    for (i = 0; i < MAX_SOCKS; i++)
        if (socks[i].used && &socks[i].ov == ov) {
            sock = socks[i].name;
            op = ov_ops[i] ? ov_ops[i] : "?";
        }
    for (i = 0; i < MAX_NAMED_OVS; i++)
        if (&named_ovs[i].ov == ov) {
            sock = named_ovs[i].sock;
            op = named_ovs[i].op ? named_ovs[i].op : "?";
        }
    snprintf(buf, sizeof buf, "{\"kind\":\"completion\",\"op\":\"%s\",\"sock\":\"%s\",\"error\":%lu,\"bytes\":%lu}", op,
             sock, (unsigned long)error, (unsigned long)bytes);
    add_note(buf);
}

/* The requests of this block; 0 when `w` is none of them. */
static int handle_ov(char **w, int n, double t0)
{
    char value[256];
    struct sock *k;
    value[0] = 0;
    if (strcmp(w[0], "connectexnull") == 0 && n >= 4) {
        struct sockaddr_storage ss;
        int len, null;
        DWORD sent = 0;
        BOOL ok;
        SOCKET s = handle(w[1]);
        if (!parse_addr(w[2], w[3], &ss, &len, &null)) {
            skipped("unreadable address");
            return 1;
        }
        if (!load_connectex(s)) {
            answer(0, WSAGetLastError(), now_ms() - t0, "{\"bool\":false}");
            return 1;
        }
        ok = connectex_fn(s, null ? NULL : (struct sockaddr *)&ss, len, NULL, 0, &sent, NULL);
        answer(ok ? 1 : 0, ok ? 0 : WSAGetLastError(), now_ms() - t0, "{\"bool\":true}");
        return 1;
    }
    if ((strcmp(w[0], "ovset") == 0 && n >= 3) || (strcmp(w[0], "ovread") == 0 && n >= 2)) {
        OVERLAPPED *o;
        struct named_ov *no = NULL;
        k = find(w[1]);
        if (!k)
            no = named_ov(w[1], 1); /* iocp2: an OVERLAPPED named by ov=NAME */
        if (!k && !no) {
            skipped("the agent keeps the OVERLAPPED of open sockets and named ones only");
            return 1;
        }
        o = k ? &k->ov : &no->ov;
        if (w[0][2] == 's')
            o->Internal = o->InternalHigh = (ULONG_PTR)_strtoui64(w[2], NULL, 0);
        snprintf(value, sizeof value, "{\"internal\":%llu,\"internal_high\":%llu}",
                 (unsigned long long)o->Internal, (unsigned long long)o->InternalHigh);
        answer(0, 0, now_ms() - t0, value);
        return 1;
    }
    if (strcmp(w[0], "ovresult") == 0 && n >= 4) {
        DWORD bytes = 0xdeadbeef, flags = 0; /* still 0xdeadbeef: the call did not write it */
        BOOL ok, wait = atoi(w[2]) != 0;
        int err;
        OVERLAPPED *o;
        k = find(w[1]);
        if (!k) {
            skipped("the agent keeps the OVERLAPPED of open sockets only");
            return 1;
        }
        o = &k->ov;
        if (n >= 5) {
            /* iocp2: ov=NAME, a socket's own or a named one */
            struct sock *ko = find(w[4]);
            struct named_ov *no = ko ? NULL : named_ov(w[4], 1);
            if (!ko && !no) {
                skipped("too many named OVERLAPPED structures in the agent");
                return 1;
            }
            o = ko ? &ko->ov : &no->ov;
        }
        if (wait && block_limit && o->hEvent && WaitForSingleObject(o->hEvent, block_limit) == WAIT_TIMEOUT) {
            skipped("the overlapped call took longer than the agent's limit to complete");
            return 1;
        }
        if (atoi(w[3])) {
            ok = WSAGetOverlappedResult(k->s, o, &bytes, wait, &flags);
            err = ok ? 0 : WSAGetLastError();
        } else {
            ok = GetOverlappedResult((HANDLE)k->s, o, &bytes, wait);
            err = ok ? 0 : (int)GetLastError();
        }
        snprintf(value, sizeof value, "{\"bytes\":%lu}", (unsigned long)bytes);
        answer(ok ? 1 : 0, err, now_ms() - t0, value);
        return 1;
    }
    if (strcmp(w[0], "iocp") == 0 && n >= 2) {
        int i;
        HANDLE h;
        for (i = 0; i < MAX_PORTS && ports[i].h; i++)
            ;
        if (i == MAX_PORTS) {
            skipped("too many completion ports in the agent");
            return 1;
        }
        h = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
        if (h) {
            snprintf(ports[i].name, sizeof ports[i].name, "%s", w[1]);
            ports[i].h = h;
        }
        answer(h ? (long long)(ULONG_PTR)h : -1, h ? 0 : (int)GetLastError(), now_ms() - t0, value);
        return 1;
    }
    if (strcmp(w[0], "iocpassoc") == 0 && n >= 4) {
        HANDLE h = CreateIoCompletionPort((HANDLE)handle(w[1]), port_of(w[2]), (ULONG_PTR)_strtoui64(w[3], NULL, 0), 0);
        answer(h ? (long long)(ULONG_PTR)h : -1, h ? 0 : (int)GetLastError(), now_ms() - t0, value);
        return 1;
    }
    if (strcmp(w[0], "gqcs") == 0 && n >= 3) {
        DWORD bytes = 0xdeadbeef;
        ULONG_PTR key = 0xdeadbeef;
        LPOVERLAPPED ov = (LPOVERLAPPED)(ULONG_PTR)1;
        long ms = atol(w[2]);
        BOOL ok;
        int err, i;
        const char *owner = NULL;
        HANDLE port = port_of(w[1]);
        DWORD gen, start = GetTickCount(), left;
        int woke = 0;
        /* iocp2: an `after` request (closehandle PORT) is made by a second thread while it waits. */
        after_arm(ms != 0);
        /* esc3: Esc posts a packet of the agent's own to the port (see wake_signal). */
        block_begin_wake(ms != 0 && port ? 2 : 0, port);
        gen = wake_gen;
        for (;;) {
            DWORD spent = GetTickCount() - start;
            left = ms < 0 ? INFINITE : (DWORD)ms > spent ? (DWORD)ms - spent : 0;
            bytes = 0xdeadbeef;
            key = 0xdeadbeef;
            ov = (LPOVERLAPPED)(ULONG_PTR)1;
            ok = GetQueuedCompletionStatus(port, &bytes, &key, &ov, left);
            err = ok ? 0 : (int)GetLastError();
            if (!ok || key != WAKE_KEY || ov != NULL)
                break;
            if (bytes == gen) {
                woke = 1;
                break;
            }
            /* Posted for an earlier wait that had ended meanwhile: never the script's. */
        }
        block_end();
        after_disarm();
        if (woke) {
            skipped("given up (Esc): a completion packet of the agent's own ended the wait; no packet of the "
                    "script's was dequeued, and its port is untouched");
            return 1;
        }
        for (i = 0; ov && i < MAX_SOCKS; i++)
            if (&socks[i].ov == ov)
                owner = socks[i].name;
        for (i = 0; ov && !owner && i < MAX_NAMED_OVS; i++)
            if (&named_ovs[i].ov == ov)
                owner = named_ovs[i].name;
        /* 0xdeadbeef left in key or bytes: the call did not write them. */
        snprintf(value, sizeof value, "{\"key\":%llu,\"bytes\":%lu,\"overlapped\":%s%s%s}",
                 (unsigned long long)key, (unsigned long)bytes, owner ? "\"" : "", owner ? owner : (ov ? "\"?\"" : "null"),
                 owner ? "\"" : "");
        answer(ok ? 1 : 0, err, now_ms() - t0, value);
        return 1;
    }
    /* ---- wsaio3 ---- */
    if (strcmp(w[0], "gqcsex") == 0 && n >= 5) {
        /* GetQueuedCompletionStatusEx PORT COUNT MS ALERTABLE: the entries removed, each with
         * its key, byte count, OVERLAPPED (by name) and Internal. */
        static OVERLAPPED_ENTRY entries[64];
        static char big[64 * 160 + 64];
        ULONG count = (ULONG)strtoul(w[2], NULL, 10), removed = 0xdeadbeef, i;
        long ms = atol(w[3]);
        BOOL ok;
        int err;
        size_t used;
        if (count < 1 || count > 64) {
            skipped("the agent's array holds 1 to 64 entries");
            return 1;
        }
        memset(entries, 0xcc, sizeof entries);
        after_arm(ms != 0);
        ok = GetQueuedCompletionStatusEx(port_of(w[1]), entries, count, &removed, ms < 0 ? INFINITE : (DWORD)ms,
                                         atoi(w[4]) != 0);
        err = ok ? 0 : (int)GetLastError();
        after_disarm();
        if (!ok) {
            answer(0, err, now_ms() - t0, "{}");
            return 1;
        }
        used = (size_t)snprintf(big, sizeof big, "{\"entries\":[");
        for (i = 0; i < removed && i < count; i++) {
            const char *owner = NULL;
            int j;
            for (j = 0; entries[i].lpOverlapped && j < MAX_SOCKS && !owner; j++)
                if (&socks[j].ov == entries[i].lpOverlapped)
                    owner = socks[j].name;
            for (j = 0; entries[i].lpOverlapped && !owner && j < MAX_NAMED_OVS; j++)
                if (&named_ovs[j].ov == entries[i].lpOverlapped)
                    owner = named_ovs[j].name;
            used += (size_t)snprintf(big + used, sizeof big - used,
                                     "%s{\"key\":%llu,\"bytes\":%lu,\"internal\":%lu,\"overlapped\":%s%s%s}", i ? "," : "",
                                     (unsigned long long)entries[i].lpCompletionKey,
                                     (unsigned long)entries[i].dwNumberOfBytesTransferred,
                                     (unsigned long)(ULONG)entries[i].Internal, owner ? "\"" : "",
                                     owner ? owner : (entries[i].lpOverlapped ? "\"?\"" : "null"), owner ? "\"" : "");
            if (used >= sizeof big)
                break;
        }
        snprintf(big + (used < sizeof big ? used : sizeof big - 3), sizeof big - (used < sizeof big ? used : sizeof big - 3), "]}");
        answer(1, 0, now_ms() - t0, big);
        return 1;
    }
    /* ---- iocp2 ---- */
    if (strcmp(w[0], "pqcs") == 0 && n >= 5) {
        OVERLAPPED *ov = NULL;
        BOOL ok;
        if (strcmp(w[4], "-") != 0) {
            struct named_ov *no = NULL;
            k = find(w[4]);
            if (!k)
                no = named_ov(w[4], 1);
            if (!k && !no) {
                skipped("too many named OVERLAPPED structures in the agent");
                return 1;
            }
            ov = k ? &k->ov : &no->ov;
        }
        ok = PostQueuedCompletionStatus(port_of(w[1]), (DWORD)strtoul(w[3], NULL, 10),
                                        (ULONG_PTR)_strtoui64(w[2], NULL, 10), ov);
        answer(ok ? 1 : 0, ok ? 0 : (int)GetLastError(), now_ms() - t0, "{\"bool\":true}");
        return 1;
    }
    if (strcmp(w[0], "sleepex") == 0 && n >= 3) {
        DWORD r = SleepEx((DWORD)strtoul(w[1], NULL, 10), atoi(w[2]) != 0);
        answer((long long)r, 0, now_ms() - t0, value);
        return 1;
    }
    if (strcmp(w[0], "closehandle") == 0 && n >= 2) {
        int i;
        BOOL ok;
        for (i = 0; i < MAX_PORTS; i++)
            if (ports[i].h && strcmp(ports[i].name, w[1]) == 0)
                break;
        if (i == MAX_PORTS && find(w[1])) {
            skipped("CloseHandle on a socket is not made (closesocket closes sockets)");
            return 1;
        }
        /* No such port: CloseHandle(NULL), which answers ERROR_INVALID_HANDLE. */
        ok = CloseHandle(i < MAX_PORTS ? ports[i].h : NULL);
        if (ok)
            ports[i].h = NULL;
        answer(ok ? 1 : 0, ok ? 0 : (int)GetLastError(), now_ms() - t0, "{\"bool\":true}");
        return 1;
    }
    /* wsaio, iocp2, wsaio3: the WSABUF calls. Their words:
     *   wsarecv SOCK [OV [ROUTINE [BUFS]]]
     *   wsasend SOCK HEX [OV [ROUTINE [BUFS]]]
     *   wsasendto SOCK ADDR LEN HEX OV ROUTINE BUFS NULLBYTES
     *   wsarecvfrom SOCK OV ROUTINE BUFS LIMIT
     * OV: `-` (the socket's own OVERLAPPED), `null` (none: a plain call; wsaio3) or a name;
     * BUFS: `-` (one buffer) or the lengths, comma-separated. */
    if ((strcmp(w[0], "wsarecv") == 0 && n >= 2) || (strcmp(w[0], "wsasend") == 0 && n >= 3) ||
        (strcmp(w[0], "wsasendto") == 0 && n >= 9) || (strcmp(w[0], "wsarecvfrom") == 0 && n >= 6)) {
        int to = strcmp(w[0], "wsasendto") == 0, from = strcmp(w[0], "wsarecvfrom") == 0;
        int sending = to || strcmp(w[0], "wsasend") == 0;
        /* where the OVERLAPPED's word is */
        int at = to ? 5 : from ? 2 : sending ? 3 : 2;
        const char *op = to ? "WSASendTo" : from ? "WSARecvFrom" : sending ? "WSASend" : "WSARecv";
        WSABUF parts[16];
        DWORD nparts = 0;
        DWORD got = 0xdeadbeef, flags = 0;
        int r, err, plain = 0, null_bytes = to && atoi(w[8]) != 0, tolen = 0, nullto = 0;
        struct sockaddr_storage ss, fromss;
        int fromlen = sizeof fromss;
        char plainbuf[2048], *buf;
        SOCKET s = handle(w[1]);
        const char *ovname = n > at ? w[at] : NULL;
        int routine = n > at + 1 && atoi(w[at + 1]) != 0;
        const char *bufs = n > at + 2 && strcmp(w[at + 2], "-") != 0 ? w[at + 2] : NULL;
        ULONG len;
        struct named_ov *no = NULL;
        OVERLAPPED *o = NULL;
        k = find(w[1]);
        if (to && !parse_addr(w[2], w[3], &ss, &tolen, &nullto)) {
            skipped("unreadable address");
            return 1;
        }
        if (ovname && strcmp(ovname, "null") == 0) {
            plain = 1; /* wsaio3: lpOverlapped NULL */
            ovname = NULL;
        } else if (ovname && (strcmp(ovname, "-") == 0 || (k && strcmp(ovname, k->name) == 0))) {
            ovname = NULL; /* `-`, or ov=NAME naming the socket itself: its own OVERLAPPED */
        }
        if (plain) {
            buf = plainbuf;
        } else if (ovname) {
            /* iocp2: an OVERLAPPED of its own name */
            HANDLE h;
            if (!k || find(ovname)) {
                skipped("the agent gives a socket's own OVERLAPPED to that socket's calls only");
                return 1;
            }
            no = named_ov(ovname, 1);
            if (!no) {
                skipped("too many named OVERLAPPED structures in the agent");
                return 1;
            }
            if (no->pending) {
                skipped("that OVERLAPPED is still in use by a pending call");
                return 1;
            }
            h = no->ov.hEvent ? no->ov.hEvent : WSACreateEvent();
            WSAResetEvent(h);
            memset(&no->ov, 0, sizeof no->ov);
            no->ov.hEvent = h;
            no->s = s;
            snprintf(no->sock, sizeof no->sock, "%s", k->name);
            no->op = op;
            o = &no->ov;
            buf = no->buf;
        } else {
            if (!fresh_ov(k))
                return 1;
            o = &k->ov;
            buf = io_buf[k - socks];
            ov_ops[k - socks] = op;
        }
        len = sizeof io_buf[0];
        if (sending)
            len = (ULONG)unhex(w[to ? 4 : 2], buf, (int)sizeof io_buf[0]);
        if (bufs) {
            /* iocp2, wsaio3: consecutive pieces of the buffer, so the bytes stay in order; a
             * send's pieces cut its data exactly */
            char *p = (char *)bufs;
            ULONG used = 0;
            while (*p && nparts < 16) {
                ULONG piece = (ULONG)strtoul(p, &p, 10);
                if (piece == 0 || used + piece > (sending ? len : (ULONG)sizeof io_buf[0])) {
                    skipped(sending ? "the buffers do not cut the data" : "the agent's receive buffer holds 2048 bytes in all");
                    return 1;
                }
                parts[nparts].buf = buf + used;
                parts[nparts].len = piece;
                used += piece;
                nparts++;
                if (*p == ',')
                    p++;
            }
            if (sending && used != len) {
                skipped("the buffers do not cut the data");
                return 1;
            }
        } else {
            parts[0].buf = buf;
            parts[0].len = len;
            nparts = 1;
        }
        if (from && plain) {
            /* wsaio3: a plain WSARecvFrom blocks as recvfrom does */
            int blocking = k && !nonblocking_of(k);
            block_begin();
            after_arm(blocking);
            if (blocking && !ready_within(s, atoi(w[5])) && !cancel_wait) {
                after_disarm();
                block_end();
                skipped("a blocking receive with nothing to receive would block longer than socklab waits");
                return 1;
            }
            t0 = now_ms();
        }
        memset(&fromss, 0, sizeof fromss);
        if (to)
            r = WSASendTo(s, parts, nparts, null_bytes ? NULL : &got, 0, nullto ? NULL : (struct sockaddr *)&ss, tolen,
                          o, routine ? io_routine : NULL);
        else if (sending)
            r = WSASend(s, parts, nparts, &got, 0, o, routine ? io_routine : NULL);
        else if (from)
            r = WSARecvFrom(s, parts, nparts, &got, &flags, (struct sockaddr *)&fromss, &fromlen, o,
                            routine ? io_routine : NULL);
        else
            r = WSARecv(s, parts, nparts, &got, &flags, o, routine ? io_routine : NULL);
        err = r ? WSAGetLastError() : 0;
        if (from && plain) {
            after_disarm();
            block_end();
        }
        /* A call with a completion routine is told of by the routine (in `sleepex`), not by its
         * event. */
        if (!plain && (r == 0 || err == WSA_IO_PENDING)) {
            if (no)
                no->pending = !routine;
            else
                k->ov_pending = !routine;
        }
        if (r == 0 && sending) {
            snprintf(value, sizeof value, "{\"bytes\":%lu}", (unsigned long)got);
        } else if (r == 0) {
            static char hx[4200];
            static char big[4600];
            char from_text[256];
            hex(buf, (int)got, hx);
            if (from && fromss.ss_family) {
                addr_value((struct sockaddr *)&fromss, from_text, sizeof from_text);
                snprintf(big, sizeof big, "{\"data\":\"%s\",\"from\":%s}", hx, from_text);
            } else {
                snprintf(big, sizeof big, "{\"data\":\"%s\"}", hx);
            }
            answer(r, 0, now_ms() - t0, big);
            return 1;
        }
        answer(r, err, now_ms() - t0, value);
        return 1;
    }
    if (strcmp(w[0], "acceptex") == 0 && n >= 4) {
        static LPFN_ACCEPTEX acceptex_fn;
        static OVERLAPPED spare;
        static char spare_buf[AX_BUF_LEN];
        GUID guid = WSAID_ACCEPTEX;
        DWORD got = 0;
        OVERLAPPED *ov = NULL;
        char *buf = spare_buf;
        BOOL ok;
        int err;
        SOCKET l = handle(w[1]), s = handle(w[2]);
        DWORD recv_len = 0, local_len = sizeof(SOCKADDR_STORAGE) + 16, remote_len = sizeof(SOCKADDR_STORAGE) + 16;
        if (n >= 7) {
            long a = atol(w[4]), b = atol(w[5]), c = atol(w[6]);
            if (a < 0 || a > 4096 || b > 256 || c > 256) {
                skipped("AcceptEx lengths past the agent's buffer");
                return 1;
            }
            recv_len = (DWORD)a;
            if (b >= 0)
                local_len = (DWORD)b;
            if (c >= 0)
                remote_len = (DWORD)c;
        }
        k = find(w[2]);
        if (!load_extension(guid, &acceptex_fn, sizeof acceptex_fn)) {
            skipped("AcceptEx could not be loaded");
            return 1;
        }
        if (!atoi(w[3])) {
            if (k && k->ov_pending) {
                skipped("the socket's OVERLAPPED is still in use by a pending call");
                return 1;
            }
            if (k) {
                if (!k->ov.hEvent) {
                    k->ov.hEvent = WSACreateEvent();
                } else {
                    HANDLE h = k->ov.hEvent;
                    WSAResetEvent(h);
                    k->ov.Offset = k->ov.OffsetHigh = 0;
                    k->ov.hEvent = h;
                }
                ov = &k->ov;
                if (!ax_buf[k - socks])
                    ax_buf[k - socks] = (char *)malloc(AX_BUF_LEN);
                if (!ax_buf[k - socks]) {
                    skipped("out of memory");
                    return 1;
                }
                buf = ax_buf[k - socks];
                ov_ops[k - socks] = "AcceptEx";
                ax_listener[k - socks] = l;
                ax_lens[k - socks][0] = recv_len;
                ax_lens[k - socks][1] = local_len;
                ax_lens[k - socks][2] = remote_len;
            } else {
                memset(&spare, 0, sizeof spare);
                ov = &spare;
            }
        }
        if (n >= 8 && atoi(w[7]))
            buf = NULL; /* wsaio3: a NULL lpOutputBuffer */
        ok = acceptex_fn(l, s, buf, recv_len, local_len, remote_len, &got, ov);
        err = ok ? 0 : WSAGetLastError();
        if (!buf && ov && err == ERROR_IO_PENDING) {
            /* Windows refuses a NULL buffer at once (WSAEFAULT); a Winsock that lets it pend would
             * write the addresses through NULL when a client came: the agent cancels it at once
             * and reports the answer the call gave. */
            DWORD ignored = 0;
            CancelIoEx((HANDLE)s, ov);
            GetOverlappedResult((HANDLE)s, ov, &ignored, TRUE);
        } else if (k && ov == &k->ov && (ok || err == ERROR_IO_PENDING)) {
            k->ov_pending = 1;
        }
        answer(ok ? 1 : 0, err, now_ms() - t0, "{\"bool\":true}");
        return 1;
    }
    if (strcmp(w[0], "acceptaddrs") == 0 && n >= 2) {
        static LPFN_GETACCEPTEXSOCKADDRS getaddrs_fn;
        GUID guid = WSAID_GETACCEPTEXSOCKADDRS;
        struct sockaddr *untouched = (struct sockaddr *)(ULONG_PTR)0xdeadbeef;
        struct sockaddr *la = untouched, *ra = untouched;
        INT ll = 0, rl = 0;
        char lt[128], rt[128];
        k = find(w[1]);
        if (!k || !ax_buf[k - socks]) {
            skipped("no AcceptEx was made into this socket");
            return 1;
        }
        if (!load_extension(guid, &getaddrs_fn, sizeof getaddrs_fn)) {
            skipped("GetAcceptExSockaddrs could not be loaded");
            return 1;
        }
        getaddrs_fn(ax_buf[k - socks], ax_lens[k - socks][0], ax_lens[k - socks][1], ax_lens[k - socks][2], &la, &ll,
                    &ra, &rl);
        /* Each side as "ADDR", or absent when the pointer was left as it was. */
        lt[0] = rt[0] = 0;
        if (la != untouched && la)
            addr_string(la, lt, sizeof lt);
        if (ra != untouched && ra)
            addr_string(ra, rt, sizeof rt);
        snprintf(value, sizeof value, "{%s%s%s%s%s%s%s}", lt[0] ? "\"local\":\"" : "", lt, lt[0] ? "\"" : "",
                 lt[0] && rt[0] ? "," : "", rt[0] ? "\"remote\":\"" : "", rt, rt[0] ? "\"" : "");
        answer(0, 0, now_ms() - t0, value);
        return 1;
    }
    if (strcmp(w[0], "cancelio") == 0 && n >= 3) {
        SOCKET s = handle(w[1]);
        BOOL ok = atoi(w[2]) ? CancelIoEx((HANDLE)s, NULL) : CancelIo((HANDLE)s);
        int err = ok ? 0 : (int)GetLastError();
        /* The cancelled calls complete now: let their completions arrive with this answer. */
        pass_time(50);
        answer(ok ? 1 : 0, err, now_ms() - t0, "{\"bool\":true}");
        return 1;
    }
    if (strcmp(w[0], "disconnectex") == 0 && n >= 4) {
        static LPFN_DISCONNECTEX disconnectex_fn;
        GUID guid = WSAID_DISCONNECTEX;
        DWORD size = 0;
        OVERLAPPED *ov = NULL;
        BOOL ok;
        int err;
        SOCKET s = handle(w[1]);
        k = find(w[1]);
        if (!disconnectex_fn &&
            WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &guid, sizeof guid, &disconnectex_fn,
                     sizeof disconnectex_fn, &size, NULL, NULL) != 0) {
            answer(0, WSAGetLastError(), now_ms() - t0, "{\"bool\":false}");
            return 1;
        }
        if (!atoi(w[3])) {
            ov = fresh_ov(k);
            if (!ov)
                return 1;
            ov_ops[k - socks] = "DisconnectEx";
        }
        ok = disconnectex_fn(s, ov, atoi(w[2]) ? TF_REUSE_SOCKET : 0, 0);
        err = ok ? 0 : WSAGetLastError();
        if (ov && (ok || err == ERROR_IO_PENDING))
            k->ov_pending = 1;
        answer(ok ? 1 : 0, err, now_ms() - t0, "{\"bool\":true}");
        return 1;
    }
    return 0;
}

/* ---- end winapi-ov ---- */

static void handle_line(char *line)
{
    char *w[16];
    char value[8192];
    int n = split(line, w, 16), r, err;
    double t0;
    struct sock *k;
    value[0] = 0;
    if (n == 0) {
        skipped("empty request");
        return;
    }
#define ARGS(count)                                                                                                    \
    do {                                                                                                               \
        if (n < (count)) {                                                                                             \
            skipped("too few words in the request");                                                                  \
            return;                                                                                                    \
        }                                                                                                              \
    } while (0)
#define DONE(ret_expr)                                                                                                 \
    do {                                                                                                               \
        long long ret_ = (long long)(ret_expr);                                                                        \
        err = WSAGetLastError();                                                                                       \
        answer(ret_, ret_ == SOCKET_ERROR ? err : 0, now_ms() - t0, value);                                            \
    } while (0)

    t0 = now_ms();
    if (strcmp(w[0], "after") != 0)
        after_run_due();
    if (extra_request(w, n, t0))
        return;
    if (strcmp(w[0], "startup") == 0) {
        WSADATA d;
        ARGS(3);
        r = WSAStartup(MAKEWORD(atoi(w[1]), atoi(w[2])), &d);
        snprintf(value, sizeof value, "{\"version\":\"%u.%u\"}", LOBYTE(d.wVersion), HIBYTE(d.wVersion));
        /* WSAStartup returns its error (as its value) instead of setting WSAGetLastError. */
        answer(r, r, now_ms() - t0, value);
    } else if (strcmp(w[0], "cleanup") == 0) {
        DONE(WSACleanup());
    } else if (strcmp(w[0], "socket") == 0) {
        SOCKET s;
        ARGS(4);
        /* winapi-args: `af:N` is an arbitrary family number */
        s = socket(strncmp(w[3], "af:", 3) == 0 ? atoi(w[3] + 3) : strcmp(w[3], "v6") == 0 ? AF_INET6 : AF_INET,
                   strcmp(w[2], "udp") == 0 ? SOCK_DGRAM : SOCK_STREAM,
                   strcmp(w[2], "udp") == 0 ? IPPROTO_UDP : IPPROTO_TCP);
        err = WSAGetLastError();
        if (s != INVALID_SOCKET) {
            k = find(w[1]);
            if (k)
                forget(k); /* the script reuses a name: the old handle stays open, as in C */
            k = new_sock(w[1], s);
            if (!k) {
                closesocket(s);
                skipped("too many sockets in the agent");
                return;
            }
            nb_flags[k - socks] = 0;
            answer((long long)s, 0, now_ms() - t0, value);
        } else {
            answer(-1, err, now_ms() - t0, value);
        }
    } else if (strcmp(w[0], "fionbio") == 0) {
        u_long on;
        ARGS(3);
        on = (u_long)atoi(w[2]);
        r = ioctlsocket(handle(w[1]), FIONBIO, &on);
        err = WSAGetLastError();
        if (r == 0 && (k = find(w[1])) != NULL)
            nb_flags[k - socks] = on;
        answer(r, r ? err : 0, now_ms() - t0, value);
    } else if (strcmp(w[0], "setsockopt") == 0) {
        const struct opt *o;
        ARGS(4);
        o = find_opt(w[2]);
        if (!o) {
            skipped("Windows has no such socket option");
            return;
        }
        if (o->kind == 1) {
            /* SO_LINGER: N > 0 is {1, N}, 0 is {0, 0}; "1,0" is the structure itself
               (l_onoff 1, l_linger 0: the abortive close). */
            LINGER l;
            const char *comma = strchr(w[3], ',');
            if (comma) {
                l.l_onoff = (u_short)(atoi(w[3]) != 0);
                l.l_linger = (u_short)atoi(comma + 1);
            } else {
                l.l_onoff = atoi(w[3]) > 0;
                l.l_linger = (u_short)(atoi(w[3]) > 0 ? atoi(w[3]) : 0);
            }
            DONE(setsockopt(handle(w[1]), o->level, o->opt, (const char *)&l, sizeof l));
        } else if (o->opt == SO_UPDATE_ACCEPT_CONTEXT) {
            /* The value is the listening socket the AcceptEx was given. */
            struct sock *a = find(w[1]);
            SOCKET l = a ? ax_listener[a - socks] : INVALID_SOCKET;
            DONE(setsockopt(handle(w[1]), o->level, o->opt, (const char *)&l, sizeof l));
        } else if (o->opt == SO_UPDATE_CONNECT_CONTEXT) {
            /* The option's value is nothing: the call itself updates the context. */
            DONE(setsockopt(handle(w[1]), o->level, o->opt, NULL, 0));
        } else {
            DWORD v = (DWORD)atoi(w[3]);
            DONE(setsockopt(handle(w[1]), o->level, o->opt, (const char *)&v, sizeof v));
        }
    } else if (strcmp(w[0], "getsockopt") == 0) {
        const struct opt *o;
        ARGS(3);
        o = find_opt(w[2]);
        if (!o) {
            skipped("Windows has no such socket option");
            return;
        }
        if (o->kind == 1) {
            LINGER l;
            int len = sizeof l;
            memset(&l, 0, sizeof l);
            r = getsockopt(handle(w[1]), o->level, o->opt, (char *)&l, &len);
            /* The whole structure: {1,0} and {0,0} must not read alike. */
            snprintf(value, sizeof value, "{\"linger\":[%d,%d]}", l.l_onoff ? 1 : 0, (int)l.l_linger);
        } else {
            DWORD v = 0;
            int len = sizeof v;
            r = getsockopt(handle(w[1]), o->level, o->opt, (char *)&v, &len);
            /* BOOL options may be answered in one byte. */
            if (len == 1)
                v &= 0xff;
            if (o->opt == SO_ERROR)
                snprintf(value, sizeof value, "{\"soerror\":%lu}", (unsigned long)v);
            else if (o->opt == SO_CONNECT_TIME)
                snprintf(value, sizeof value, "{\"int\":%lu}", (unsigned long)v); /* a DWORD */
            else
                snprintf(value, sizeof value, "{\"int\":%ld}", (long)(int)v);
        }
        if (r != 0)
            value[0] = 0;
        DONE(r);
    } else if (strcmp(w[0], "limit") == 0) {
        ARGS(2);
        block_limit = (DWORD)atol(w[1]);
        answer(0, 0, now_ms() - t0, value);
    } else if (strcmp(w[0], "bind") == 0) {
        struct sockaddr_storage ss;
        int len, null;
        ARGS(4);
        if (!parse_addr(w[2], w[3], &ss, &len, &null)) {
            skipped("unreadable address");
            return;
        }
        DONE(bind(handle(w[1]), null ? NULL : (struct sockaddr *)&ss, len));
    } else if (strcmp(w[0], "connect") == 0 || strcmp(w[0], "wsaconnect") == 0) {
        struct sockaddr_storage ss;
        int len, null, dlen = 0, wsa = w[0][0] == 'w';
        char data[1024];
        static char callee_buf[4096];
        WSABUF caller, callee;
        int has_callee = wsa && n >= 8;
        QOS sqos, gqos;
        SOCKET s;
        struct watch wt;
        HANDLE th = NULL;
        ARGS(wsa ? 7 : 4);
        if (!parse_addr(w[2], w[3], &ss, &len, &null)) {
            skipped("unreadable address");
            return;
        }
        s = handle(w[1]);
        k = find(w[1]);
        if (wsa) {
            dlen = unhex(w[4], data, sizeof data);
            caller.buf = data;
            caller.len = (u_long)dlen;
            memset(&sqos, 0, sizeof sqos);
            memset(&gqos, 0, sizeof gqos);
            /* esc3: lpCalleeData, a buffer of N bytes (at most 4096) */
            callee.buf = callee_buf;
            callee.len = has_callee ? (u_long)strtoul(w[7], NULL, 10) : 0;
            if (callee.len > sizeof callee_buf)
                callee.len = sizeof callee_buf;
        }
        memset(&wt, 0, sizeof wt);
        if (block_limit && k && !nonblocking_of(k)) {
            wt.s = s;
            wt.done = CreateEventA(NULL, TRUE, FALSE, NULL);
            th = CreateThread(NULL, 0, watchdog, &wt, 0, NULL);
        }
        after_arm(k && !nonblocking_of(k));
        block_begin();
        if (wsa)
            r = WSAConnect(s, null ? NULL : (struct sockaddr *)&ss, len, strcmp(w[4], "-") ? &caller : NULL,
                           has_callee ? &callee : NULL, atoi(w[5]) ? &sqos : NULL, atoi(w[6]) ? &gqos : NULL);
        else
            r = connect(s, null ? NULL : (struct sockaddr *)&ss, len);
        err = WSAGetLastError();
        block_end();
        after_disarm();
        if (th) {
            SetEvent(wt.done);
            WaitForSingleObject(th, INFINITE);
            CloseHandle(th);
            CloseHandle(wt.done);
            if (wt.fired) {
                char why[160];
                forget(k);
                snprintf(why, sizeof why,
                         "the blocking connect took longer than the agent's limit (%lu ms): its socket was closed to end it",
                         (unsigned long)block_limit);
                skipped(why);
                return;
            }
        }
        if (has_callee)
            snprintf(value, sizeof value, "{\"callee_len\":%lu}", (unsigned long)callee.len);
        answer(r, r == SOCKET_ERROR ? err : 0, now_ms() - t0, value);
    } else if (strcmp(w[0], "connectex") == 0) {
        struct sockaddr_storage ss;
        int len, null, dlen;
        DWORD sent = 0;
        BOOL ok;
        SOCKET s;
        ARGS(5);
        if (!parse_addr(w[2], w[3], &ss, &len, &null)) {
            skipped("unreadable address");
            return;
        }
        s = handle(w[1]);
        if (!load_connectex(s)) {
            /* Without a socket there is no way to ask for the pointer; answer what
             * WSAIoctl said. */
            answer(0, WSAGetLastError(), now_ms() - t0, "{\"bool\":false}");
            return;
        }
        k = find(w[1]);
        if (!k) {
            ok = connectex_fn(s, null ? NULL : (struct sockaddr *)&ss, len, NULL, 0, &sent, NULL);
            err = WSAGetLastError();
            answer(ok ? 1 : 0, ok ? 0 : err, now_ms() - t0, "{\"bool\":true}");
            return;
        }
        if (!k->ov.hEvent)
            k->ov.hEvent = WSACreateEvent();
        else if (!k->ov_pending)
            WSAResetEvent(k->ov.hEvent);
        dlen = unhex(w[4], k->sendbuf, sizeof k->sendbuf);
        {
            /* A second ConnectEx while one is pending gets its own OVERLAPPED: reusing
             * the pending one would be undefined. */
            static OVERLAPPED spare;
            OVERLAPPED *ov = k->ov_pending ? &spare : &k->ov;
            if (ov == &spare) {
                memset(&spare, 0, sizeof spare);
            } else {
                HANDLE h = k->ov.hEvent;
                /* What `ovset` wrote stays: the call itself decides what it writes there. */
                ULONG_PTR internal = k->ov.Internal, internal_high = k->ov.InternalHigh;
                memset(&k->ov, 0, sizeof k->ov);
                k->ov.hEvent = h;
                k->ov.Internal = internal;
                k->ov.InternalHigh = internal_high;
            }
            ov_ops[k - socks] = NULL; /* winapi-ov: this OVERLAPPED is ConnectEx's now */
            ok = connectex_fn(s, null ? NULL : (struct sockaddr *)&ss, len, dlen ? k->sendbuf : NULL, (DWORD)dlen,
                              &sent, ov);
            err = WSAGetLastError();
            if (ov == &k->ov && (ok || err == ERROR_IO_PENDING))
                k->ov_pending = 1;
        }
        answer(ok ? 1 : 0, ok ? 0 : err, now_ms() - t0, "{\"bool\":true}");
    } else if (strcmp(w[0], "select") == 0) {
        static fd_set rs, ws, xs;
        static SOCKET rh[FD_SETSIZE], wh[FD_SETSIZE], xh[FD_SETSIZE];
        static char rn[FD_SETSIZE][64], wn[FD_SETSIZE][64], xn[FD_SETSIZE][64];
        int nr, nw, nx, ms;
        struct timeval tv;
        int er, ew, ex, wake, woke = 0, i;
        ARGS(5);
        ms = atoi(w[1]);
        /* args3: `.` is a set present but empty (passed, not NULL) */
        er = strcmp(w[2], ".") == 0;
        ew = strcmp(w[3], ".") == 0;
        ex = strcmp(w[4], ".") == 0;
        fill_set(er ? "-" : w[2], &rs, rh, rn, &nr);
        fill_set(ew ? "-" : w[3], &ws, wh, wn, &nw);
        fill_set(ex ? "-" : w[4], &xs, xh, xn, &nx);
        tv.tv_sec = ms / 1000;
        tv.tv_usec = (ms % 1000) * 1000;
        if (n >= 7) {
            /* esc3: the script's timeval, its fields as written (out of range too) */
            tv.tv_sec = atol(w[5]);
            tv.tv_usec = atol(w[6]);
        }
        /* esc3: a wait on the script's sockets also watches the agent's wake socket, so that
         * Esc ends it; never a call with no socket (its answer would change) nor one that does
         * not wait. */
        wake = 0;
        for (i = 0; ms != 0 && !wake && i < nr + nw + nx; i++)
            wake = is_socket(i < nr ? rh[i] : i < nr + nw ? wh[i - nr] : xh[i - nr - nw]);
        wake = wake && nr < FD_SETSIZE && wake_ready();
        if (wake) {
            wake_drain(); /* a datagram of an earlier give-up that came late */
            FD_SET(wake_sock, &rs);
        }
        block_begin_wake(wake ? 1 : 0, NULL);
        /* Empty sets are passed as NULL, as a C program that has nothing to watch would. */
        r = select(0, nr || er || wake ? &rs : NULL, nw || ew ? &ws : NULL, nx || ex ? &xs : NULL, ms < 0 ? NULL : &tv);
        err = WSAGetLastError();
        block_end();
        if (wake) {
            if (r != SOCKET_ERROR && FD_ISSET(wake_sock, &rs)) {
                woke = 1;
                r--;
            }
            wake_drain();
        }
        if (woke && r == 0) {
            skipped("given up (Esc): the agent's own wake socket ended the select, nothing in its sets being ready; "
                    "no socket of the script's was touched");
            return;
        }
        if (r != SOCKET_ERROR) {
            strcpy(value, "{\"read\":");
            set_json(value, sizeof value, &rs, rh, rn, nr);
            strcat(value, ",\"write\":");
            set_json(value, sizeof value, &ws, wh, wn, nw);
            strcat(value, ",\"except\":");
            set_json(value, sizeof value, &xs, xh, xn, nx);
            strcat(value, "}");
        }
        answer(r, r == SOCKET_ERROR ? err : 0, now_ms() - t0, value);
    } else if (strcmp(w[0], "pollnull") == 0) {
        /* args2: WSAPoll with a NULL array of N entries */
        ARGS(3);
        r = WSAPoll(NULL, (ULONG)atol(w[2]), atoi(w[1]));
        err = r == SOCKET_ERROR ? WSAGetLastError() : 0;
        answer(r, err, now_ms() - t0, value);
    } else if (strcmp(w[0], "poll") == 0) {
        WSAPOLLFD fds[65]; /* esc3: 64 of the script's, and the wake socket */
        char names[64][64];
        int nf = 0, i, ms, wake, woke = 0;
        char *tok;
        ARGS(3);
        if (strcmp(w[2], "-") != 0)
            for (tok = strtok(w[2], ","); tok && nf < 64; tok = strtok(NULL, ",")) {
                /* args3: NAME:MASK or #N:MASK gives this entry its own mask */
                char *colon = strchr(tok, ':');
                if (colon)
                    *colon = 0;
                fds[nf].fd = handle(tok);
                /* winapi-args: an optional 4th word is the request mask, winsock2.h's numbers */
                fds[nf].events = colon ? (short)atoi(colon + 1)
                                 : n > 3 ? (short)atoi(w[3]) : POLLRDNORM | POLLWRNORM;
                fds[nf].revents = 0;
                strncpy(names[nf], tok, 63);
                names[nf][63] = 0;
                nf++;
            }
        ms = atoi(w[1]);
        /* esc3: the wake socket in an entry after the script's, as for select */
        wake = 0;
        for (i = 0; ms != 0 && !wake && i < nf; i++)
            wake = is_socket(fds[i].fd);
        wake = wake && wake_ready();
        if (wake) {
            wake_drain(); /* a datagram of an earlier give-up that came late */
            fds[nf].fd = wake_sock;
            fds[nf].events = POLLRDNORM;
            fds[nf].revents = 0;
        }
        block_begin_wake(wake ? 1 : 0, NULL);
        r = WSAPoll(fds, (ULONG)(nf + wake), ms);
        err = WSAGetLastError();
        block_end();
        if (wake) {
            if (r != SOCKET_ERROR && fds[nf].revents) {
                woke = 1;
                r--;
            }
            wake_drain();
        }
        if (woke && r == 0) {
            skipped("given up (Esc): the agent's own wake socket ended the WSAPoll, nothing in its array being ready; "
                    "no socket of the script's was touched");
            return;
        }
        if (r != SOCKET_ERROR) {
            strcpy(value, "{\"revents\":[");
            for (i = 0; i < nf; i++) {
                size_t len = strlen(value);
                snprintf(value + len, sizeof value - len, "%s[\"%s\",%u]", i ? "," : "", names[i],
                         (unsigned)(unsigned short)fds[i].revents);
            }
            strcat(value, "]}");
        }
        answer(r, r == SOCKET_ERROR ? err : 0, now_ms() - t0, value);
    } else if (strcmp(w[0], "eventselect") == 0) {
        ARGS(3);
        k = find(w[1]);
        if (k && !k->ev)
            k->ev = WSACreateEvent();
        DONE(WSAEventSelect(handle(w[1]), k ? k->ev : NULL, atol(w[2])));
    } else if (strcmp(w[0], "asyncselect") == 0) {
        ARGS(3);
        DONE(WSAAsyncSelect(handle(w[1]), hwnd, WM_SOCKLAB, atol(w[2])));
    } else if (strcmp(w[0], "enum") == 0) {
        WSANETWORKEVENTS ne;
        int i;
        ARGS(2);
        k = find(w[1]);
        memset(&ne, 0, sizeof ne);
        r = WSAEnumNetworkEvents(handle(w[1]), k ? k->ev : NULL, &ne);
        err = WSAGetLastError();
        if (r == 0) {
            snprintf(value, sizeof value, "{\"events\":%ld,\"errors\":[", ne.lNetworkEvents);
            for (i = 0; i < FD_MAX_EVENTS; i++) {
                size_t len = strlen(value);
                snprintf(value + len, sizeof value - len, "%s%d", i ? "," : "", ne.iErrorCode[i]);
            }
            strcat(value, "]}");
        }
        answer(r, r ? err : 0, now_ms() - t0, value);
    } else if (strcmp(w[0], "optnull") == 0) {
        /* winapi-args: setsockopt (1) or getsockopt (0) with a NULL optval, the option's length */
        const struct opt *o;
        int len;
        ARGS(4);
        o = find_opt(w[2]);
        if (!o) {
            skipped("Windows has no such socket option");
            return;
        }
        len = o->kind == 1 ? (int)sizeof(LINGER) : (int)sizeof(int);
        /* args2: a fifth word: `lennull` (getsockopt with a buffer and a NULL optlen) or N (a
         * length of the script's beside the NULL optval) */
        if (n > 4 && strcmp(w[4], "lennull") == 0) {
            char buf[16];
            memset(buf, 0, sizeof buf);
            r = getsockopt(handle(w[1]), o->level, o->opt, buf, NULL);
        } else {
            if (n > 4)
                len = atoi(w[4]);
            if (atoi(w[3]))
                r = setsockopt(handle(w[1]), o->level, o->opt, NULL, len);
            else
                r = getsockopt(handle(w[1]), o->level, o->opt, NULL, &len);
        }
        err = WSAGetLastError();
        answer(r, r ? err : 0, now_ms() - t0, value);
    } else if (strcmp(w[0], "getsockname") == 0 || strcmp(w[0], "getpeername") == 0) {
        struct sockaddr_storage ss;
        int len = sizeof ss;
        ARGS(2);
        memset(&ss, 0, sizeof ss);
        /* winapi-args: an optional `null` passes a NULL name pointer (namelen 16) */
        if (n > 2 && strcmp(w[2], "null") == 0) {
            len = 16;
            r = w[0][3] == 's' ? getsockname(handle(w[1]), NULL, &len) : getpeername(handle(w[1]), NULL, &len);
            err = WSAGetLastError();
            answer(r, r ? err : 0, now_ms() - t0, value);
            return;
        }
        /* args2: `lennull` passes a buffer and a NULL namelen pointer. Wine's getsockname
         * reads *namelen without looking at the pointer (dlls/ws2_32/socket.c), which would end
         * the agent, so under Wine that one call is not made. */
        if (n > 2 && strcmp(w[2], "lennull") == 0) {
            if (w[0][3] == 's' && GetProcAddress(GetModuleHandleA("ntdll.dll"), "wine_get_version")) {
                skipped("Wine's getsockname reads the length through the NULL namelen pointer and would crash");
                return;
            }
            r = w[0][3] == 's' ? getsockname(handle(w[1]), (struct sockaddr *)&ss, NULL)
                               : getpeername(handle(w[1]), (struct sockaddr *)&ss, NULL);
            err = WSAGetLastError();
            answer(r, r ? err : 0, now_ms() - t0, value);
            return;
        }
        if (w[0][3] == 's')
            r = getsockname(handle(w[1]), (struct sockaddr *)&ss, &len);
        else
            r = getpeername(handle(w[1]), (struct sockaddr *)&ss, &len);
        if (r == 0)
            addr_value((struct sockaddr *)&ss, value, sizeof value);
        DONE(r);
    } else if (strcmp(w[0], "send") == 0) {
        char data[2048];
        int dlen;
        ARGS(3);
        dlen = unhex(w[2], data, sizeof data);
        DONE(send(handle(w[1]), data, dlen, 0));
    } else if (strcmp(w[0], "sendto") == 0) {
        struct sockaddr_storage ss;
        int len, null, dlen;
        char data[2048];
        ARGS(5);
        if (!parse_addr(w[2], w[3], &ss, &len, &null)) {
            skipped("unreadable address");
            return;
        }
        dlen = unhex(w[4], data, sizeof data);
        DONE(sendto(handle(w[1]), data, dlen, 0, null ? NULL : (struct sockaddr *)&ss, len));
    } else if (strcmp(w[0], "recv") == 0 || strcmp(w[0], "recvfrom") == 0) {
        char data[2048], from_text[256];
        struct sockaddr_storage ss;
        int len = sizeof ss, limit;
        SOCKET s;
        ARGS(3);
        s = handle(w[1]);
        limit = atoi(w[2]);
        k = find(w[1]);
        block_begin();
        after_arm(k && !nonblocking_of(k));
        /* After Esc (or `after`) shut the socket down from another thread, recv no longer
         * blocks (WSAESHUTDOWN): it is made, and its answer is Winsock's. */
        if (k && !nonblocking_of(k) && !ready_within(s, limit) && !cancel_wait) {
            after_disarm();
            block_end();
            skipped("a blocking receive with nothing to receive would block longer than socklab waits");
            return;
        }
        t0 = now_ms();
        memset(&ss, 0, sizeof ss);
        if (w[0][4] == 'f')
            r = recvfrom(s, data, sizeof data, 0, (struct sockaddr *)&ss, &len);
        else
            r = recv(s, data, sizeof data, 0);
        err = WSAGetLastError();
        after_disarm();
        block_end();
        if (r >= 0) {
            char hx[4200];
            hex(data, r, hx);
            from_text[0] = 0;
            if (w[0][4] == 'f' && ss.ss_family) {
                addr_value((struct sockaddr *)&ss, from_text, sizeof from_text);
                snprintf(value, sizeof value, "{\"data\":\"%s\",\"from\":%s}", hx, from_text);
            } else {
                snprintf(value, sizeof value, "{\"data\":\"%s\"}", hx);
            }
        }
        answer(r, r == SOCKET_ERROR ? err : 0, now_ms() - t0, value);
    } else if (strcmp(w[0], "accept") == 0 || strcmp(w[0], "wsaaccept") == 0) {
        SOCKET s, a;
        int cf;
        ARGS(4);
        cf = strcmp(w[0], "wsaaccept") == 0 ? (n >= 5 ? atoi(w[4]) : 0) : -1;
        s = handle(w[1]);
        k = find(w[1]);
        block_begin();
        after_arm(k && !nonblocking_of(k));
        if (k && !nonblocking_of(k) && !ready_within(s, atoi(w[3]))) {
            after_disarm();
            block_end();
            /* Winsock refuses to shut a listening socket down (WSAENOTCONN), so Esc's shutdown
             * does not release an accept: the agent gives up on it at once. */
            skipped(cancel_wait ? "given up (Esc): a shutdown from another thread does not release a blocking accept on Winsock"
                                : "a blocking accept with nobody connecting would block longer than socklab waits");
            return;
        }
        t0 = now_ms();
        if (cf < 0)
            a = accept(s, NULL, NULL);
        else if (cf == 0)
            a = WSAAccept(s, NULL, NULL, NULL, 0);
        else
            a = WSAAccept(s, NULL, NULL, accept_condition, (DWORD_PTR)(cf == 1 ? CF_ACCEPT : cf == 2 ? CF_REJECT : CF_DEFER));
        err = WSAGetLastError();
        after_disarm();
        block_end();
        if (a != INVALID_SOCKET) {
            struct sock *nk = find(w[2]);
            u_long inherited = k ? nonblocking_of(k) : 0;
            if (nk)
                forget(nk);
            nk = new_sock(w[2], a);
            if (!nk) {
                closesocket(a);
                skipped("too many sockets in the agent");
                return;
            }
            /* An accepted socket has the listener's properties, its blocking mode included. */
            nb_flags[nk - socks] = inherited;
            answer((long long)a, 0, now_ms() - t0, value);
        } else {
            answer(-1, err, now_ms() - t0, value);
        }
    } else if (strcmp(w[0], "listen") == 0) {
        ARGS(3);
        DONE(listen(handle(w[1]), atoi(w[2])));
    } else if (strcmp(w[0], "shutdown") == 0) {
        ARGS(3);
        DONE(shutdown(handle(w[1]), atoi(w[2])));
    } else if (strcmp(w[0], "close") == 0) {
        ARGS(2);
        k = find(w[1]);
        r = closesocket(handle(w[1]));
        err = WSAGetLastError();
        if (k) {
            /* A ConnectEx still pending is cancelled by the close; its OVERLAPPED must stay
             * valid until it completes, so wait for that (bounded). */
            int i;
            if (k->ov_pending)
                WaitForSingleObject(k->ov.hEvent, 2000);
            k->ov_pending = 0;
            /* iocp2: the same for the named OVERLAPPEDs the socket's calls were given */
            for (i = 0; i < MAX_NAMED_OVS; i++) {
                if (named_ovs[i].pending && named_ovs[i].s == k->s) {
                    WaitForSingleObject(named_ovs[i].ov.hEvent, 2000);
                    named_ovs[i].pending = 0;
                }
            }
            forget(k);
        }
        answer(r, r ? err : 0, now_ms() - t0, value);
    } else if (strcmp(w[0], "wait") == 0) {
        ARGS(2);
        block_begin();
        pass_time((DWORD)atol(w[1]));
        block_end();
        answer(0, 0, now_ms() - t0, value);
    } else if (strcmp(w[0], "until") == 0) {
        /* Poll the socket's state until the condition holds or the limit passes. Connected:
         * writable. Failed: in exceptfds (a failed connect). Event: a window message or a
         * completion arrived, or the socket's event object was signalled. */
        DWORD limit, start = GetTickCount();
        SOCKET s;
        int met = 0;
        ARGS(4);
        s = handle(w[1]);
        k = find(w[1]);
        limit = (DWORD)atol(w[3]);
        block_begin();
        for (;;) {
            fd_set ws, xs;
            struct timeval tv = {0, 0};
            pump();
            if (strcmp(w[2], "event") == 0) {
                met = nnotes > 0 || (k && k->ev && WaitForSingleObject(k->ev, 0) == WAIT_OBJECT_0);
            } else if (k && k->ov_pending) {
                met = 0; /* ConnectEx: the completion decides (below) */
            } else if (k && completed(k->name)) {
                break;
            } else {
                FD_ZERO(&ws);
                FD_ZERO(&xs);
                FD_SET(s, &ws);
                FD_SET(s, &xs);
                r = select(0, NULL, &ws, &xs, &tv);
                if (r == SOCKET_ERROR)
                    break;
                if (strcmp(w[2], "connected") == 0)
                    met = FD_ISSET(s, &ws) != 0;
                else
                    met = FD_ISSET(s, &xs) != 0;
                if (r > 0 && !met)
                    break; /* the other outcome: it will not come */
            }
            if (met || cancel_wait || GetTickCount() - start >= limit)
                break;
            MsgWaitForMultipleObjects(0, NULL, FALSE, 5, QS_ALLINPUT);
        }
        block_end();
        if (!met && k && strcmp(w[2], "event") != 0) {
            /* A ConnectEx that completed: its completion note says how. */
            int i;
            char key[96];
            snprintf(key, sizeof key, "\"sock\":\"%s\"", k->name);
            for (i = 0; i < nnotes; i++)
                if (strstr(notes[i], "\"completion\"") && strstr(notes[i], key)) {
                    int ok = strstr(notes[i], "\"error\":0,") != NULL;
                    met = strcmp(w[2], "connected") == 0 ? ok : !ok;
                }
        }
        snprintf(value, sizeof value, "{\"met\":%s}", met ? "true" : "false");
        answer(0, 0, now_ms() - t0, value);
    } else if (handle_ov(w, n, t0)) {
        /* winapi-ov: answered there */
    } else {
        skipped("the agent does not know this request");
    }
#undef ARGS
#undef DONE
}

/* ---- abort: the thread that reads stdin ---- */

/* Requests read but not yet taken by the main thread, oldest first. */
#define QUEUE_LEN 16
static char queue[QUEUE_LEN][LINE_MAX_LEN];
static int q_head, q_count;
static CRITICAL_SECTION q_cs;
static HANDLE q_ready; /* signalled while the queue holds a request */

static void q_push(const char *line)
{
    for (;;) {
        EnterCriticalSection(&q_cs);
        if (q_count < QUEUE_LEN) {
            snprintf(queue[(q_head + q_count) % QUEUE_LEN], LINE_MAX_LEN, "%s", line);
            q_count++;
            SetEvent(q_ready);
            LeaveCriticalSection(&q_cs);
            return;
        }
        LeaveCriticalSection(&q_cs);
        /* Full: socklab sends one request at a time, so the main thread is taking them. */
        Sleep(1);
    }
}

static void q_pop(char *line)
{
    for (;;) {
        WaitForSingleObject(q_ready, INFINITE);
        EnterCriticalSection(&q_cs);
        if (q_count > 0) {
            memcpy(line, queue[q_head], LINE_MAX_LEN);
            q_head = (q_head + 1) % QUEUE_LEN;
            q_count--;
            if (q_count == 0)
                ResetEvent(q_ready);
            LeaveCriticalSection(&q_cs);
            return;
        }
        ResetEvent(q_ready);
        LeaveCriticalSection(&q_cs);
    }
}

/* Make a `now` request quietly from the calling thread; `cancel` ends a wait early. */
static void side_make(const char *req)
{
    char line[LINE_MAX_LEN];
    if (strncmp(req, "cancel", 6) != 0) {
        snprintf(line, sizeof line, "%s", req);
        quiet_tid = GetCurrentThreadId();
        handle_line(line);
        quiet_tid = 0;
    }
    /* Whatever it was, the main thread's wait is over (once the request is made): a wait or
     * an until ends, a recv or an accept waiting for readiness goes on to the call (or gives
     * up). */
    cancel_wait = 1;
    /* esc3: a select, a WSAPoll or a GetQueuedCompletionStatus ends too. */
    if (strncmp(req, "cancel", 6) == 0)
        wake_signal();
}

static DWORD WINAPI reader_main(LPVOID arg)
{
    static char line[LINE_MAX_LEN];
    (void)arg;
    while (fgets(line, sizeof line, stdin)) {
        if (strncmp(line, "now ", 4) == 0) {
            /* While the main thread blocks, at once from here; otherwise it makes it next. */
            EnterCriticalSection(&side_cs);
            if (in_block) {
                side_make(line + 4);
                LeaveCriticalSection(&side_cs);
                continue;
            }
            LeaveCriticalSection(&side_cs);
        }
        q_push(line);
    }
    q_push("quit");
    return 0;
}

/* ---- end of abort ---- */

int main(void)
{
    static char line[LINE_MAX_LEN];
    HANDLE reader;
    WNDCLASSA wc;
    WSADATA d;
    QueryPerformanceFrequency(&freq);
    memset(&wc, 0, sizeof wc);
    wc.lpfnWndProc = wndproc;
    wc.hInstance = GetModuleHandleA(NULL);
    wc.lpszClassName = "socklab-agent";
    RegisterClassA(&wc);
    /* A message-only window: never shown, receives WSAAsyncSelect's messages. */
    hwnd = CreateWindowA("socklab-agent", "socklab-agent", 0, 0, 0, 0, 0, HWND_MESSAGE, NULL, wc.hInstance, NULL);
    /* socklab starts Winsock 2.2 for the script, as its models assume. */
    if (WSAStartup(MAKEWORD(2, 2), &d) != 0) {
        printf("{\"hello\":\"socklab-agent\",\"error\":\"WSAStartup failed\"}\n");
        return 1;
    }
    {
        /* Wine's ntdll exports wine_get_version; Windows' does not. */
        typedef const char *(CDECL * wine_version_fn)(void);
        HMODULE ntdll = GetModuleHandleA("ntdll.dll");
        wine_version_fn wv = ntdll ? (wine_version_fn)(void (*)(void))GetProcAddress(ntdll, "wine_get_version") : NULL;
        const char *ver = wv ? wv() : NULL;
        char wine[80] = "";
        if (ver) {
            size_t i, o = 0;
            /* Keep the version a plain JSON string: no quote or backslash can slip in. */
            for (i = 0; ver[i] && o < 40; i++)
                if (ver[i] != '"' && ver[i] != '\\' && (unsigned char)ver[i] >= 0x20)
                    wine[o++] = ver[i];
            wine[o] = 0;
        }
        printf("{\"hello\":\"socklab-agent\",\"version\":1,\"winsock\":\"%u.%u\",\"window\":%s%s%s%s}\n",
               LOBYTE(d.wVersion), HIBYTE(d.wVersion), hwnd ? "true" : "false", ver ? ",\"wine\":\"" : "",
               ver ? wine : "", ver ? "\"" : "");
    }
    fflush(stdout);
    InitializeCriticalSection(&side_cs);
    InitializeCriticalSection(&q_cs);
    q_ready = CreateEventA(NULL, TRUE, FALSE, NULL);
    reader = q_ready ? CreateThread(NULL, 0, reader_main, NULL, 0, NULL) : NULL;
    if (!reader) {
        printf("{\"error\":\"the agent could not start its reading thread\"}\n");
        return 1;
    }
    for (;;) {
        q_pop(line);
        if (strncmp(line, "quit", 4) == 0)
            break;
        if (strncmp(line, "now ", 4) == 0)
            side_make(line + 4);
        else
            handle_line(line);
    }
    return 0;
}
