/*  =========================================================================
    zyn_gateway - the DynamoDB-compatible HTTP server

    One or more event loops (--threads), each a zactor that owns its own
    HTTP server (zyn_http: the connections it accepted, in an epoll set of
    their own), its own zyn_dispatch (DEALER to the broker, direct
    sockets to the workers), and waits on the server's epoll fd, the
    dispatch's sockets and its pipe with one epoll of its own (see
    s_loop_actor); the loops share the one listening socket the gateway
    binds. On a loop's thread a request's body is gathered (up to 16 MB),
    then: SigV4 check, target lookup, JSON parse and validation
    (zyn_optable). Local operations answer at once; cluster operations
    are encoded and queued on the dispatch, which sends them when the
    turn ends, and the connection waits (reading nothing more). When
    replies are readable the loop renders every answered call and sends
    its response at once, then serves the connections again, so no
    request crosses a thread. Streams operations (zyn_streams_api) loop
    through several such calls. All a request holds hangs off its
    s_request_t, which goes back to the loop's spare list once its
    response is sent.
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_error.h"
#include "zyn_json.h"
#include "zyn_proto.h"
#include "zyn_optable.h"
#include "zyn_sigv4.h"
#include "zyn_dispatch.h"
#include "zyn_streams_api.h"
#include "zyn_http.h"
#include "zyn_gateway.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/socket.h>

typedef struct s_request s_request_t;

//  One event loop: an HTTP server and a broker connection, one thread
typedef struct {
    zyn_gateway_t *gateway;             //  Borrowed: the owner
    zyn_http_t *http;                   //  Owned: the HTTP server
    zyn_dispatch_t *dispatch;           //  Owned: the broker connection
    zactor_t *actor;                    //  Owned: the loop's thread
    s_request_t *spare;                 //  Owned: requests to reuse
    s_request_t *replied;               //  Calls answered, to render
    s_request_t *replied_tail;
} s_loop_t;

struct zyn_gateway {
    s_loop_t **loops;                   //  Owned: the event loops
    int loop_count;
    zyn_sigv4_t *keys;                  //  Owned; NULL in open mode
    char region [64];
    uint8_t id_prefix [8];              //  Random, set once: request ids
    atomic_uint_fast64_t id_counter;    //  Shared by the loops
    uint32_t crc_tables [8][256];       //  Slice-by-8 CRC32, set once
    bool crc_clmul;                     //  The CPU multiplies carry-less
    int port;
    bool verbose;
};

typedef enum {
    S_SERVING = 0,                      //  Being served on the loop
    S_WAITING,                          //  A broker call out
    S_DONE                              //  The response is sent
} s_phase_t;

struct s_request {
    zyn_gateway_t *gateway;             //  Borrowed
    s_loop_t *loop;                     //  Borrowed: the request's loop
    zyn_http_exchange_t *exchange;      //  Borrowed, until the response
    s_phase_t phase;
    const char *body;                   //  Borrowed from the exchange
    size_t size;
    const zyn_op_t *op;                 //  Static
    zyn_value_t *request;               //  Owned: native request
    zyn_streams_call_t *streams;        //  Owned: Streams state
    zyn_call_t call;                    //  Owns its bodies
    int64_t started;                    //  Monotonic msecs, for the log
    s_request_t *next;                  //  On the spare or replied list
};

static const uint32_t s_crc32_table [256] = {
    0x00000000, 0x77073096, 0xee0e612c, 0x990951ba, 0x076dc419, 0x706af48f,
    0xe963a535, 0x9e6495a3, 0x0edb8832, 0x79dcb8a4, 0xe0d5e91e, 0x97d2d988,
    0x09b64c2b, 0x7eb17cbd, 0xe7b82d07, 0x90bf1d91, 0x1db71064, 0x6ab020f2,
    0xf3b97148, 0x84be41de, 0x1adad47d, 0x6ddde4eb, 0xf4d4b551, 0x83d385c7,
    0x136c9856, 0x646ba8c0, 0xfd62f97a, 0x8a65c9ec, 0x14015c4f, 0x63066cd9,
    0xfa0f3d63, 0x8d080df5, 0x3b6e20c8, 0x4c69105e, 0xd56041e4, 0xa2677172,
    0x3c03e4d1, 0x4b04d447, 0xd20d85fd, 0xa50ab56b, 0x35b5a8fa, 0x42b2986c,
    0xdbbbc9d6, 0xacbcf940, 0x32d86ce3, 0x45df5c75, 0xdcd60dcf, 0xabd13d59,
    0x26d930ac, 0x51de003a, 0xc8d75180, 0xbfd06116, 0x21b4f4b5, 0x56b3c423,
    0xcfba9599, 0xb8bda50f, 0x2802b89e, 0x5f058808, 0xc60cd9b2, 0xb10be924,
    0x2f6f7c87, 0x58684c11, 0xc1611dab, 0xb6662d3d, 0x76dc4190, 0x01db7106,
    0x98d220bc, 0xefd5102a, 0x71b18589, 0x06b6b51f, 0x9fbfe4a5, 0xe8b8d433,
    0x7807c9a2, 0x0f00f934, 0x9609a88e, 0xe10e9818, 0x7f6a0dbb, 0x086d3d2d,
    0x91646c97, 0xe6635c01, 0x6b6b51f4, 0x1c6c6162, 0x856530d8, 0xf262004e,
    0x6c0695ed, 0x1b01a57b, 0x8208f4c1, 0xf50fc457, 0x65b0d9c6, 0x12b7e950,
    0x8bbeb8ea, 0xfcb9887c, 0x62dd1ddf, 0x15da2d49, 0x8cd37cf3, 0xfbd44c65,
    0x4db26158, 0x3ab551ce, 0xa3bc0074, 0xd4bb30e2, 0x4adfa541, 0x3dd895d7,
    0xa4d1c46d, 0xd3d6f4fb, 0x4369e96a, 0x346ed9fc, 0xad678846, 0xda60b8d0,
    0x44042d73, 0x33031de5, 0xaa0a4c5f, 0xdd0d7cc9, 0x5005713c, 0x270241aa,
    0xbe0b1010, 0xc90c2086, 0x5768b525, 0x206f85b3, 0xb966d409, 0xce61e49f,
    0x5edef90e, 0x29d9c998, 0xb0d09822, 0xc7d7a8b4, 0x59b33d17, 0x2eb40d81,
    0xb7bd5c3b, 0xc0ba6cad, 0xedb88320, 0x9abfb3b6, 0x03b6e20c, 0x74b1d29a,
    0xead54739, 0x9dd277af, 0x04db2615, 0x73dc1683, 0xe3630b12, 0x94643b84,
    0x0d6d6a3e, 0x7a6a5aa8, 0xe40ecf0b, 0x9309ff9d, 0x0a00ae27, 0x7d079eb1,
    0xf00f9344, 0x8708a3d2, 0x1e01f268, 0x6906c2fe, 0xf762575d, 0x806567cb,
    0x196c3671, 0x6e6b06e7, 0xfed41b76, 0x89d32be0, 0x10da7a5a, 0x67dd4acc,
    0xf9b9df6f, 0x8ebeeff9, 0x17b7be43, 0x60b08ed5, 0xd6d6a3e8, 0xa1d1937e,
    0x38d8c2c4, 0x4fdff252, 0xd1bb67f1, 0xa6bc5767, 0x3fb506dd, 0x48b2364b,
    0xd80d2bda, 0xaf0a1b4c, 0x36034af6, 0x41047a60, 0xdf60efc3, 0xa867df55,
    0x316e8eef, 0x4669be79, 0xcb61b38c, 0xbc66831a, 0x256fd2a0, 0x5268e236,
    0xcc0c7795, 0xbb0b4703, 0x220216b9, 0x5505262f, 0xc5ba3bbe, 0xb2bd0b28,
    0x2bb45a92, 0x5cb36a04, 0xc2d7ffa7, 0xb5d0cf31, 0x2cd99e8b, 0x5bdeae1d,
    0x9b64c2b0, 0xec63f226, 0x756aa39c, 0x026d930a, 0x9c0906a9, 0xeb0e363f,
    0x72076785, 0x05005713, 0x95bf4a82, 0xe2b87a14, 0x7bb12bae, 0x0cb61b38,
    0x92d28e9b, 0xe5d5be0d, 0x7cdcefb7, 0x0bdbdf21, 0x86d3d2d4, 0xf1d4e242,
    0x68ddb3f8, 0x1fda836e, 0x81be16cd, 0xf6b9265b, 0x6fb077e1, 0x18b74777,
    0x88085ae6, 0xff0f6a70, 0x66063bca, 0x11010b5c, 0x8f659eff, 0xf862ae69,
    0x616bffd3, 0x166ccf45, 0xa00ae278, 0xd70dd2ee, 0x4e048354, 0x3903b3c2,
    0xa7672661, 0xd06016f7, 0x4969474d, 0x3e6e77db, 0xaed16a4a, 0xd9d65adc,
    0x40df0b66, 0x37d83bf0, 0xa9bcae53, 0xdebb9ec5, 0x47b2cf7f, 0x30b5ffe9,
    0xbdbdf21c, 0xcabac28a, 0x53b39330, 0x24b4a3a6, 0xbad03605, 0xcdd70693,
    0x54de5729, 0x23d967bf, 0xb3667a2e, 0xc4614ab8, 0x5d681b02, 0x2a6f2b94,
    0xb40bbe37, 0xc30c8ea1, 0x5a05df1b, 0x2d02ef8d,
};

//  --------------------------------------------------------------------------
//  CRC32 with carry-less multiplication (PCLMULQDQ), after Intel's "Fast
//  CRC Computation for Generic Polynomials Using PCLMULQDQ Instruction"
//  (Gopal et al., 2009), bit-reflected form: four 128-bit lanes fold 64
//  bytes a step, then fold into one lane, then down to 64 and 32 bits, and
//  a Barrett reduction gives the remainder. Takes and returns the CRC's
//  running state (not inverted); size is at least 64 and a multiple of 16.
//  The constants are powers of x modulo the CRC32 polynomial 0x104C11DB7,
//  bit-reflected: x^(4*128+32), x^(4*128-32), x^(128+32), x^(128-32),
//  x^64, and the polynomial and its Barrett quotient x^64 / P.

#if defined (__x86_64__)
__attribute__ ((target ("pclmul,sse4.1")))
static inline __m128i
s_crc32_fold (__m128i lane, __m128i constants, __m128i next)
{
    __m128i low = _mm_clmulepi64_si128 (lane, constants, 0x00);
    __m128i high = _mm_clmulepi64_si128 (lane, constants, 0x11);
    return _mm_xor_si128 (_mm_xor_si128 (low, high), next);
}

__attribute__ ((target ("pclmul,sse4.1")))
static uint32_t
s_crc32_clmul (uint32_t crc, const uint8_t *bytes, size_t size)
{
    const __m128i by_four = _mm_set_epi64x (0x1c6e41596, 0x154442bd4);
    const __m128i by_one = _mm_set_epi64x (0x0ccaa009e, 0x1751997d0);
    const __m128i to_32 = _mm_set_epi64x (0, 0x163cd6124);
    const __m128i barrett = _mm_set_epi64x (0x1f7011641, 0x1db710641);
    const __m128i mask32 = _mm_set_epi32 (0, 0, 0, -1);
    __m128i lane1 = _mm_loadu_si128 ((const __m128i *) bytes);
    __m128i lane2 = _mm_loadu_si128 ((const __m128i *) (bytes + 16));
    __m128i lane3 = _mm_loadu_si128 ((const __m128i *) (bytes + 32));
    __m128i lane4 = _mm_loadu_si128 ((const __m128i *) (bytes + 48));
    lane1 = _mm_xor_si128 (lane1, _mm_cvtsi32_si128 ((int) crc));
    bytes += 64;
    size -= 64;
    while (size >= 64) {
        lane1 = s_crc32_fold (lane1, by_four,
                              _mm_loadu_si128 ((const __m128i *) bytes));
        lane2 = s_crc32_fold (lane2, by_four,
                              _mm_loadu_si128 ((const __m128i *) (bytes + 16)));
        lane3 = s_crc32_fold (lane3, by_four,
                              _mm_loadu_si128 ((const __m128i *) (bytes + 32)));
        lane4 = s_crc32_fold (lane4, by_four,
                              _mm_loadu_si128 ((const __m128i *) (bytes + 48)));
        bytes += 64;
        size -= 64;
    }
    lane1 = s_crc32_fold (lane1, by_one, lane2);
    lane1 = s_crc32_fold (lane1, by_one, lane3);
    lane1 = s_crc32_fold (lane1, by_one, lane4);
    while (size >= 16) {
        lane1 = s_crc32_fold (lane1, by_one,
                              _mm_loadu_si128 ((const __m128i *) bytes));
        bytes += 16;
        size -= 16;
    }
    //  128 bits to 64 (appending the 32 zero bits a CRC implies)
    __m128i product = _mm_clmulepi64_si128 (by_one, lane1, 0x01);
    lane1 = _mm_xor_si128 (_mm_srli_si128 (lane1, 8), product);
    //  64 to 32
    __m128i upper = _mm_srli_si128 (lane1, 4);
    lane1 = _mm_clmulepi64_si128 (_mm_and_si128 (lane1, mask32), to_32, 0x00);
    lane1 = _mm_xor_si128 (lane1, upper);
    //  Barrett reduction to the 32-bit remainder
    __m128i folded = lane1;
    lane1 = _mm_clmulepi64_si128 (_mm_and_si128 (lane1, mask32), barrett,
                                  0x10);
    lane1 = _mm_clmulepi64_si128 (_mm_and_si128 (lane1, mask32), barrett,
                                  0x00);
    lane1 = _mm_xor_si128 (lane1, folded);
    return (uint32_t) _mm_extract_epi32 (lane1, 1);
}
#endif

//  True if this CPU has the instructions s_crc32_clmul uses
static bool
s_crc32_has_clmul (void)
{
#if defined (__x86_64__)
    return __builtin_cpu_supports ("pclmul")
        && __builtin_cpu_supports ("sse4.1");
#else
    return false;
#endif
}

//  --------------------------------------------------------------------------
//  CRC32 (IEEE 802.3).

uint32_t
zyn_gateway_crc32 (const void *data, size_t size)
{
    const uint8_t *bytes = (const uint8_t *) data;
    uint32_t crc = 0xffffffffU;
#if defined (__x86_64__)
    if (size >= 64 && s_crc32_has_clmul ()) {
        size_t bulk = size & ~(size_t) 15;
        crc = s_crc32_clmul (crc, bytes, bulk);
        bytes += bulk;
        size -= bulk;
    }
#endif
    for (size_t i = 0; i < size; i++)
        crc = s_crc32_table [(crc ^ bytes [i]) & 0xff] ^ (crc >> 8);
    return crc ^ 0xffffffffU;
}

//  --------------------------------------------------------------------------
//  A random (version 4) UUID.

void
zyn_gateway_uuid (char *buf)
{
    uint8_t bytes [16];
    randombytes_buf (bytes, sizeof (bytes));
    bytes [6] = (uint8_t) ((bytes [6] & 0x0f) | 0x40);
    bytes [8] = (uint8_t) ((bytes [8] & 0x3f) | 0x80);
    static const char hex [] = "0123456789abcdef";
    size_t out = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            buf [out++] = '-';
        buf [out++] = hex [bytes [i] >> 4];
        buf [out++] = hex [bytes [i] & 0x0f];
    }
    buf [out] = 0;
}

//  Fill the slice-by-8 tables: crc_tables [k][i] is the CRC of byte i
//  followed by k zero bytes
static void
s_crc32_tables_init (zyn_gateway_t *self)
{
    for (int i = 0; i < 256; i++)
        self->crc_tables [0][i] = s_crc32_table [i];
    for (int k = 1; k < 8; k++)
        for (int i = 0; i < 256; i++) {
            uint32_t previous = self->crc_tables [k - 1][i];
            self->crc_tables [k][i] = (previous >> 8)
                                    ^ s_crc32_table [previous & 0xff];
        }
}

static inline uint32_t
s_load_u32le (const uint8_t *bytes)
{
    return (uint32_t) bytes [0] | (uint32_t) bytes [1] << 8
         | (uint32_t) bytes [2] << 16 | (uint32_t) bytes [3] << 24;
}

//  The same CRC32 as zyn_gateway_crc32, eight bytes a step (every
//  response body goes through it)
static uint32_t
s_crc32 (zyn_gateway_t *self, const void *data, size_t size)
{
    if (self->crc_clmul)
        return zyn_gateway_crc32 (data, size);
    const uint8_t *bytes = (const uint8_t *) data;
    uint32_t (*table) [256] = self->crc_tables;
    uint32_t crc = 0xffffffffU;
    while (size >= 8) {
        uint32_t low = s_load_u32le (bytes) ^ crc;
        uint32_t high = s_load_u32le (bytes + 4);
        crc = table [7][low & 0xff] ^ table [6][(low >> 8) & 0xff]
            ^ table [5][(low >> 16) & 0xff] ^ table [4][low >> 24]
            ^ table [3][high & 0xff] ^ table [2][(high >> 8) & 0xff]
            ^ table [1][(high >> 16) & 0xff] ^ table [0][high >> 24];
        bytes += 8;
        size -= 8;
    }
    while (size--)
        crc = table [0][(crc ^ *bytes++) & 0xff] ^ (crc >> 8);
    return crc ^ 0xffffffffU;
}

//  A request id in UUID form: the gateway's random prefix and a counter,
//  unique without a getrandom () call per response
static void
s_request_id (zyn_gateway_t *gateway, char *buf)
{
    uint8_t bytes [16];
    memcpy (bytes, gateway->id_prefix, 8);
    zyn_put_u64 (bytes + 8, atomic_fetch_add (&gateway->id_counter, 1));
    bytes [6] = (uint8_t) ((bytes [6] & 0x0f) | 0x40);
    bytes [8] = (uint8_t) ((bytes [8] & 0x3f) | 0x80);
    static const char hex [] = "0123456789abcdef";
    size_t out = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            buf [out++] = '-';
        buf [out++] = hex [bytes [i] >> 4];
        buf [out++] = hex [bytes [i] & 0x0f];
    }
    buf [out] = 0;
}

static const char *
    s_header (void *arg, const char *name);

//  A request for exchange: a spare one if the loop has one
static s_request_t *
s_request_new (s_loop_t *loop, zyn_http_exchange_t *exchange)
{
    s_request_t *self = loop->spare;
    if (self) {
        loop->spare = self->next;
        memset (self, 0, sizeof (s_request_t));
    }
    else
        self = (s_request_t *) zmalloc (sizeof (s_request_t));
    self->gateway = loop->gateway;
    self->loop = loop;
    self->exchange = exchange;
    if (loop->gateway->verbose)
        self->started = zyn_mono_msecs ();
    return self;
}

//  Free what the request holds and put it on its loop's spare list
static void
s_request_release (s_request_t **self_p)
{
    s_request_t *self = *self_p;
    if (self) {
        zyn_call_reset (&self->call);
        zyn_streams_call_destroy (&self->streams);
        zyn_value_destroy (&self->request);
        self->next = self->loop->spare;
        self->loop->spare = self;
        *self_p = NULL;
    }
}

//  Send the response; takes ownership of text (malloc'd)
static void
s_respond (s_request_t *self, int status, char *text, size_t size,
           const char *content_type)
{
    self->phase = S_DONE;
    char request_id [40];
    s_request_id (self->gateway, request_id);
    char crc [ZYN_U64_TEXT];
    char headers [512];
    size_t length = 0;
    zyn_text_put (headers, &length, "Content-Type: ");
    zyn_text_put (headers, &length, content_type);
    zyn_text_put (headers, &length, "\r\nx-amzn-RequestId: ");
    zyn_text_put (headers, &length, request_id);
    zyn_text_put (headers, &length, "\r\nx-amz-crc32: ");
    zyn_text_put (headers, &length,
                  zyn_u64_text (crc, s_crc32 (self->gateway, text, size)));
    zyn_text_put (headers, &length, "\r\n");
    if (s_header (self->exchange, "Origin"))
        //  Browsers (the JavaScript SDK) may read the answer and the
        //  headers SDKs check, as DynamoDB allows
        zyn_text_put (headers, &length,
                      "Access-Control-Allow-Origin: *\r\n"
                      "Access-Control-Expose-Headers: x-amzn-RequestId,"
                      "x-amzn-ErrorType,x-amzn-ErrorMessage,x-amz-crc32,"
                      "Date\r\n");
    assert (length < sizeof (headers));
    zyn_http_respond (self->exchange, status, headers, text, size);
    self->exchange = NULL;
    free (text);
    if (self->gateway->verbose)
        zsys_debug ("zyn_gateway: answered op=%s status=%d size=%zu "
                    "msecs=%" PRId64, self->op ? zyn_op_name (self->op) : "-",
                    status, size, zyn_mono_msecs () - self->started);
}

static void
s_respond_json (s_request_t *self, char *text, size_t size)
{
    s_respond (self, 200, text, size, "application/x-amz-json-1.0");
}

static void
s_respond_error (s_request_t *self, const zyn_error_t *err,
                 const zyn_value_t *extra, int status)
{
    size_t size = 0;
    char *text = zyn_optable_error_json (err, extra, &size);
    if (self->gateway->verbose)
        zsys_debug ("zyn_gateway: error type=%s op=%s",
                    zyn_error_name (err->type),
                    self->op ? zyn_op_name (self->op) : "-");
    s_respond (self, status ? status : zyn_error_http_status (err->type),
               text, size, "application/x-amz-json-1.0");
}

static void
    s_handle_reply (s_request_t *self);

//  Runs in zyn_dispatch_process, on the loop's thread: the reply is in;
//  the loop renders it when the dispatch is done (a Streams request may
//  make its next call then)
static void
s_call_done (zyn_call_t *call, void *arg)
{
    (void) call;
    s_request_t *self = (s_request_t *) arg;
    s_loop_t *loop = self->loop;
    self->next = NULL;
    if (loop->replied_tail)
        loop->replied_tail->next = self;
    else
        loop->replied = self;
    loop->replied_tail = self;
}

//  Send one broker call with body (encoded here, not kept) and suspend
//  until its reply
static void
s_call (s_request_t *self, const char *operation, const zyn_value_t *body)
{
    zyn_call_reset (&self->call);
    //  Our own operation names, all shorter than the field; a plain copy
    //  (snprintf was a visible share of a GetItem's cost)
    size_t length = strnlen (operation, sizeof (self->call.operation) - 1);
    memcpy (self->call.operation, operation, length);
    self->call.operation [length] = 0;
    self->call.body = zyn_value_encode (body, &self->call.size);
    self->call.request = body;
    self->call.done = s_call_done;
    self->call.arg = self;
    if (zyn_dispatch_submit (self->loop->dispatch, &self->call) == 0) {
        //  The reply cannot come before this thread polls again
        self->phase = S_WAITING;
        return;
    }
    //  Refused (stopping, broker queue full): the call holds the error
    s_handle_reply (self);
}

//  Run a Streams request one step further
static void
s_streams_step (s_request_t *self, const zyn_value_t *reply,
                const zyn_error_t *reply_err)
{
    const char *operation = NULL;
    zyn_value_t *body = NULL;
    char *json = NULL;
    size_t size = 0;
    zyn_error_t err = { 0 };
    int rc = zyn_streams_call_step (self->streams, reply, reply_err,
                                    &operation, &body, &json, &size, &err);
    if (rc == 1) {
        s_call (self, operation, body);
        zyn_value_destroy (&body);
    }
    else
    if (rc == 0)
        s_respond_json (self, json, size);
    else
        s_respond_error (self, &err, NULL, 0);
}

//  True if the reply is rendered as the worker sent it: a GetItem whose
//  answer gets nothing added (zyn_optable_finish_response adds only the
//  ConsumedCapacity asked for)
static bool
s_renders_raw (s_request_t *self)
{
    if (!self->op || !streq (zyn_op_name (self->op), "GetItem"))
        return false;
    const char *mode = zyn_value_map_get_s (self->request,
                                            "ReturnConsumedCapacity");
    return !mode || !(streq (mode, "TOTAL") || streq (mode, "INDEXES"));
}

//  The broker's reply is in: render it
static void
s_handle_reply (s_request_t *self)
{
    zyn_error_t err = { 0 };
    zyn_value_t *response = NULL;
    zyn_value_t *extra = NULL;
    if (self->call.message [0]) {
        //  The gateway failed the call itself (timeout, shutdown)
        zyn_errtype_t type = zyn_error_type_from_name (self->call.status);
        zyn_error_set (&err, type == ZYN_ERR_MAX ? ZYN_ERR_INTERNAL : type,
                       "%s", self->call.message);
    }
    else
    if (!streq (self->call.status, ZYN_PROTO_OK)) {
        zyn_proto_error_from_reply (self->call.status, self->call.reply,
                                    self->call.reply_size, &err);
        //  Error bodies may carry more than the message (Item,
        //  CancellationReasons)
        zyn_error_t ignored = { 0 };
        extra = zyn_value_decode (self->call.reply, self->call.reply_size,
                                  &ignored);
        if (extra && (zyn_value_type (extra) != ZYN_TYPE_M
                      || zyn_value_size (extra) <= 1))
            zyn_value_destroy (&extra);
    }
    else {
        if (s_renders_raw (self)) {
            size_t size = 0;
            char *json = zyn_json_from_item_reply (
                self->call.reply, self->call.reply_size, &size);
            if (json) {
                s_respond_json (self, json, size);
                return;
            }
        }
        response = zyn_value_decode (self->call.reply, self->call.reply_size,
                                     &err);
        if (response && zyn_value_type (response) != ZYN_TYPE_M) {
            zyn_value_destroy (&response);
            zyn_error_set (&err, ZYN_ERR_INTERNAL,
                           "The broker's reply is not a map");
        }
        else
        if (!response && !zyn_error_is_set (&err))
            zyn_error_set (&err, ZYN_ERR_INTERNAL,
                           "The broker's reply cannot be decoded");
    }
    if (zyn_op_kind (self->op) == ZYN_OP_STREAMS)
        s_streams_step (self, response, response ? NULL : &err);
    else
    if (!response)
        s_respond_error (self, &err, extra, 0);
    else {
        zyn_optable_finish_response (self->op, self->request, response,
                                 self->gateway->region);
        size_t size = 0;
        char *json = zyn_json_from_response (response, &size);
        if (json)
            s_respond_json (self, json, size);
        else {
            zyn_error_set (&err, ZYN_ERR_INTERNAL,
                           "The response cannot be rendered");
            s_respond_error (self, &err, NULL, 0);
        }
    }
    zyn_value_destroy (&response);
    zyn_value_destroy (&extra);
}

static const char *
s_header (void *arg, const char *name)
{
    return zyn_http_header ((zyn_http_exchange_t *) arg, name);
}

//  The whole body is in: authenticate, parse, validate and serve
static void
s_handle_request (s_request_t *self, const char *url)
{
    zyn_gateway_t *gateway = self->gateway;
    zyn_error_t err = { 0 };
    if (zyn_http_too_large (self->exchange)) {
        zyn_error_set (&err, ZYN_ERR_VALIDATION,
                       "Request size exceeded %d bytes", ZYN_OPTABLE_BODY_MAX);
        s_respond_error (self, &err, NULL, 413);
        return;
    }
    if (gateway->keys
        && zyn_sigv4_verify (gateway->keys, "POST", url, "", s_header,
                             self->exchange, self->body, self->size,
                             time (NULL), &err)) {
        s_respond_error (self, &err, NULL, 0);
        return;
    }
    const char *target = s_header (self->exchange, "X-Amz-Target");
    self->op = zyn_optable_lookup (target, &err);
    if (!self->op) {
        s_respond_error (self, &err, NULL, 0);
        return;
    }
    if (gateway->verbose)
        zsys_debug ("zyn_gateway: request op=%s size=%zu",
                    zyn_op_name (self->op), self->size);
    self->request = zyn_optable_parse_request (self->op, self->body, self->size,
                                           &err);
    if (!self->request) {
        s_respond_error (self, &err, NULL, 0);
        return;
    }
    switch (zyn_op_kind (self->op)) {
        case ZYN_OP_LOCAL: {
            const char *host = s_header (self->exchange, "Host");
            char address [300];
            if (host)
                snprintf (address, sizeof (address), "%.256s", host);
            else
                snprintf (address, sizeof (address), "localhost:%d",
                          gateway->port);
            zyn_value_t *response = zyn_optable_local_response (
                self->op, self->request, address, &err);
            if (!response) {
                s_respond_error (self, &err, NULL, 0);
                break;
            }
            size_t size = 0;
            char *json = zyn_json_from_response (response, &size);
            zyn_value_destroy (&response);
            if (!json) {
                zyn_error_set (&err, ZYN_ERR_INTERNAL,
                               "The response cannot be rendered");
                s_respond_error (self, &err, NULL, 0);
            }
            else
                s_respond_json (self, json, size);
            break;
        }
        case ZYN_OP_STREAMS:
            self->streams = zyn_streams_call_new (self->op, &self->request,
                                                  gateway->region);
            s_streams_step (self, NULL, NULL);
            break;
        default:
            s_call (self, zyn_op_name (self->op), self->request);
    }
}

static void
s_handle_plain (s_request_t *self, int status, const char *text)
{
    char *copy = strdup (text);
    assert (copy);
    s_respond (self, status, copy, strlen (copy), "text/plain");
}

//  A CORS preflight: any origin may POST DynamoDB requests, as DynamoDB
//  allows
static void
s_handle_preflight (s_request_t *self)
{
    self->phase = S_DONE;
    const char *asked = s_header (self->exchange,
                                  "Access-Control-Request-Headers");
    char headers [1024];
    snprintf (headers, sizeof (headers),
              "Access-Control-Allow-Origin: *\r\n"
              "Access-Control-Allow-Methods: GET, POST, OPTIONS\r\n"
              "Access-Control-Allow-Headers: %.512s\r\n"
              "Access-Control-Max-Age: 172800\r\n",
              asked ? asked
                    : "Content-Type, X-Amz-Target, X-Amz-Date, "
                      "Authorization, X-Amz-Security-Token, "
                      "X-Amz-User-Agent");
    zyn_http_respond (self->exchange, 200, headers, NULL, 0);
    self->exchange = NULL;
}

//  The HTTP server's handler: a request is whole (or its body was too
//  large). Served here, or left waiting for a broker call.
static void
s_on_request (zyn_http_exchange_t *exchange, void *arg)
{
    s_loop_t *loop = (s_loop_t *) arg;
    zyn_gateway_t *gateway = loop->gateway;
    s_request_t *self = s_request_new (loop, exchange);
    const char *method = zyn_http_method (exchange);
    const char *url = zyn_http_target (exchange);
    self->body = zyn_http_body (exchange, &self->size);
    if (!streq (method, "POST")) {
        //  DynamoDB's health check answers GET /; nothing else but
        //  POST is an operation
        if (streq (method, "OPTIONS"))
            s_handle_preflight (self);
        else
        if (streq (method, "GET") && streq (url, "/")) {
            char text [128];
            snprintf (text, sizeof (text),
                      "healthy: dynamodb.%s.amazonaws.com ", gateway->region);
            s_handle_plain (self, 200, text);
        }
        else {
            zyn_error_t err = { 0 };
            zyn_error_set (&err, ZYN_ERR_UNKNOWN_OPERATION, "%s", "");
            s_respond_error (self, &err, NULL, 404);
        }
    }
    else
        s_handle_request (self, url);
    if (self->phase == S_DONE)
        s_request_release (&self);
}

//  Render every call answered since (a Streams request may make its next
//  call instead)
static void
s_loop_render (s_loop_t *self)
{
    while (self->replied) {
        s_request_t *request = self->replied;
        self->replied = request->next;
        if (!self->replied)
            self->replied_tail = NULL;
        request->next = NULL;
        s_handle_reply (request);
        if (request->phase == S_DONE)
            s_request_release (&request);
    }
}

//  Split "HOST:PORT" and resolve HOST to an IPv4 address
static int
s_parse_address (const char *text, struct sockaddr_in *address,
                 zyn_error_t *err)
{
    const char *colon = text ? strrchr (text, ':') : NULL;
    if (!colon || colon == text)
        return zyn_error_set (err, ZYN_ERR_VALIDATION,
                              "bad --http address '%s': expected HOST:PORT",
                              text ? text : "");
    char host [256];
    snprintf (host, sizeof (host), "%.*s", (int) (colon - text), text);
    char *end = NULL;
    long port = strtol (colon + 1, &end, 10);
    if (!*(colon + 1) || *end || port < 0 || port > 65535)
        return zyn_error_set (err, ZYN_ERR_VALIDATION,
                              "bad --http port in '%s'", text);
    struct addrinfo hints = { 0 };
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    struct addrinfo *found = NULL;
    if (getaddrinfo (host, NULL, &hints, &found) || !found)
        return zyn_error_set (err, ZYN_ERR_VALIDATION,
                              "cannot resolve --http host '%s'", host);
    memcpy (address, found->ai_addr, sizeof (*address));
    freeaddrinfo (found);
    address->sin_port = htons ((uint16_t) port);
    return 0;
}

//  What the loop's epoll reports, by its data.u32
#define S_TAG_PIPE 0
#define S_TAG_HTTP 1
#define S_TAG_DISPATCH 2                //  + the item's index

//  Turns in a row the loop may take without asking epoll
#define S_TURNS_MAX 3

//  Watch socket's ZMQ_FD (readable when the socket has commands to take
//  in, which a read until nothing is left takes) in epoll_fd under tag
static void
s_watch (int epoll_fd, void *socket, uint32_t tag)
{
    int fd = -1;
    size_t fd_size = sizeof (fd);
    int rc = zmq_getsockopt (socket, ZMQ_FD, &fd, &fd_size);
    assert (rc == 0);
    struct epoll_event event = { .events = EPOLLIN, .data.u32 = tag };
    rc = epoll_ctl (epoll_fd, EPOLL_CTL_ADD, fd, &event);
    assert (rc == 0);
}

//  Take every command waiting on the pipe; returns true on $TERM
static bool
s_loop_handle_pipe (zsock_t *pipe)
{
    bool terminated = false;
    while (zsock_events (pipe) & ZMQ_POLLIN) {
        char *command = zstr_recv (pipe);
        if (!command || streq (command, "$TERM"))
            terminated = true;
        else {
            zsys_error ("zyn_gateway: invalid command '%s'", command);
            assert (false);
        }
        zstr_free (&command);
    }
    return terminated;
}

//  The event loop: one thread serves HTTP and talks to the broker. One
//  epoll waits on the pipe, the HTTP server's epoll fd and the
//  dispatch's sockets (their ZMQ_FDs, edge-like: a socket is read until
//  it has nothing more, and read again after a call went out on it). A
//  turn first renders every reply that is in (its response goes out at
//  once), then runs the HTTP server: it reads the next requests of the
//  connections that answered and of those the kernel reports, and their
//  calls go out together when the turn ends. So the work of many
//  connections shares one epoll_wait.
static void
s_loop_actor (zsock_t *pipe, void *args)
{
    s_loop_t *self = (s_loop_t *) args;
    int epoll_fd = epoll_create1 (EPOLL_CLOEXEC);
    assert (epoll_fd >= 0);
    s_watch (epoll_fd, zsock_resolve (pipe), S_TAG_PIPE);
    struct epoll_event event = { .events = EPOLLIN, .data.u32 = S_TAG_HTTP };
    int rc = epoll_ctl (epoll_fd, EPOLL_CTL_ADD, zyn_http_fd (self->http),
                        &event);
    assert (rc == 0);
    zmq_pollitem_t items [4];
    int item_count = zyn_dispatch_pollitems (self->dispatch, items, 4);
    for (int i = 0; i < item_count; i++)
        if (items [i].socket)
            s_watch (epoll_fd, items [i].socket,
                     S_TAG_DISPATCH + (uint32_t) i);
        else {
            //  A plain descriptor (the direct path's local links)
            struct epoll_event plain = {
                .events = EPOLLIN, .data.u32 = S_TAG_DISPATCH + (uint32_t) i };
            rc = epoll_ctl (epoll_fd, EPOLL_CTL_ADD, items [i].fd, &plain);
            assert (rc == 0);
        }
    zsock_signal (pipe, 0);
    //  The first turn looks at everything: a ZMQ_FD only wakes on change
    bool pipe_due = true;
    bool http_due = true;
    int turns = 0;                      //  Turns in a row without epoll
    for (int i = 0; i < item_count; i++)
        items [i].revents = ZMQ_POLLIN;
    while (true) {
        if (pipe_due && s_loop_handle_pipe (pipe))
            break;
        pipe_due = false;
        zyn_dispatch_process_ready (self->dispatch, items, item_count);
        for (int i = 0; i < item_count; i++)
            items [i].revents = 0;
        s_loop_render (self);
        if (http_due || zyn_http_timeout (self->http) == 0)
            zyn_http_run (self->http);
        http_due = false;
        //  The calls this turn made go out together
        zyn_dispatch_flush (self->dispatch);
        long wait = zyn_http_timeout (self->http);
        bool unread = zyn_dispatch_has_unread (self->dispatch);
        if ((wait == 0 || unread) && turns < S_TURNS_MAX) {
            //  More to do at once (a connection answered and may have
            //  its next request in, a socket was sent on): another turn
            //  without asking epoll, a few times at most, so the pipe
            //  and the rest are seen
            turns++;
            continue;
        }
        turns = 0;
        long dispatch_wait = zyn_dispatch_timeout (self->dispatch);
        if (dispatch_wait >= 0 && (wait < 0 || dispatch_wait < wait))
            wait = dispatch_wait;
        if (unread)
            wait = 0;
        struct epoll_event events [8];
        int count = epoll_wait (epoll_fd, events, 8,
                                wait > INT_MAX ? INT_MAX : (int) wait);
        if (count < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (count == 0 && wait != 0) {
            //  A timer is due: an idle connection's or a call's deadline
            http_due = true;
        }
        for (int i = 0; i < count; i++) {
            uint32_t tag = events [i].data.u32;
            if (tag == S_TAG_PIPE)
                pipe_due = true;
            else
            if (tag == S_TAG_HTTP)
                http_due = true;
            else
                items [tag - S_TAG_DISPATCH].revents = ZMQ_POLLIN;
        }
    }
    close (epoll_fd);
    //  Stopping: every call in flight fails and its client gets its
    //  ServiceUnavailable now; new calls are refused at once
    zyn_dispatch_stop (self->dispatch);
    s_loop_render (self);
    zyn_http_run (self->http);
    s_loop_render (self);
}

//  Start one event loop on listen_fd (a copy the loop's server owns)
static s_loop_t *
s_loop_new (zyn_gateway_t *gateway, const zyn_gateway_config_t *config,
            int listen_fd, zyn_error_t *err)
{
    s_loop_t *self = (s_loop_t *) zmalloc (sizeof (s_loop_t));
    self->gateway = gateway;
    self->dispatch = zyn_dispatch_new (
        config->broker ? config->broker : "tcp://127.0.0.1:7100",
        config->timeout_ms, config->verbose, err);
    if (!self->dispatch) {
        close (listen_fd);
        free (self);
        return NULL;
    }
    zyn_http_config_t http_config = { 0 };
    http_config.body_max = ZYN_OPTABLE_BODY_MAX;
    http_config.idle_ms = 300 * 1000;
    http_config.connection_max = 10000;
    self->http = zyn_http_new (listen_fd, &http_config, s_on_request, self,
                               err);
    if (!self->http) {
        zyn_dispatch_destroy (&self->dispatch);
        free (self);
        return NULL;
    }
    self->actor = zactor_new (s_loop_actor, self);
    assert (self->actor);
    return self;
}

static void
s_loop_destroy (s_loop_t **self_p)
{
    s_loop_t *self = *self_p;
    if (self) {
        //  The loop answers every waiting request before it ends
        zactor_destroy (&self->actor);
        zyn_http_destroy (&self->http);
        zyn_dispatch_destroy (&self->dispatch);
        while (self->spare) {
            s_request_t *request = self->spare;
            self->spare = request->next;
            free (request);
        }
        free (self);
        *self_p = NULL;
    }
}

//  Bind and listen on address; returns the socket or -1 with err
static int
s_listen (const struct sockaddr_in *address, const char *text,
          zyn_error_t *err)
{
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        zyn_error_set (err, ZYN_ERR_INTERNAL, "cannot open a socket: %s",
                       strerror (errno));
        return -1;
    }
    //  SO_REUSEADDR (a restarted gateway binds at once) but not
    //  SO_REUSEPORT: a port
    //  in use stays refused
    int on = 1;
    setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof (on));
    if (bind (fd, (const struct sockaddr *) address, sizeof (*address))
        || listen (fd, 1024)) {
        close (fd);
        zyn_error_set (err, ZYN_ERR_VALIDATION, "cannot listen on %s", text);
        return -1;
    }
    return fd;
}

//  --------------------------------------------------------------------------
//  Start a gateway.

zyn_gateway_t *
zyn_gateway_new (const zyn_gateway_config_t *config, zyn_error_t *err)
{
    assert (config);
    if (sodium_init () < 0) {
        zyn_error_set (err, ZYN_ERR_INTERNAL, "libsodium cannot start");
        return NULL;
    }
    struct sockaddr_in address;
    if (s_parse_address (config->http ? config->http : "127.0.0.1:8000",
                         &address, err))
        return NULL;
    zyn_gateway_t *self = (zyn_gateway_t *) zmalloc (sizeof (zyn_gateway_t));
    snprintf (self->region, sizeof (self->region), "%s",
              config->region ? config->region : "us-east-1");
    self->verbose = config->verbose;
    s_crc32_tables_init (self);
    self->crc_clmul = s_crc32_has_clmul ();
    randombytes_buf (self->id_prefix, sizeof (self->id_prefix));
    uint64_t counter_start = 0;
    randombytes_buf (&counter_start, sizeof (counter_start));
    atomic_init (&self->id_counter, counter_start);
    if (config->auth) {
        self->keys = zyn_sigv4_new ();
        if (!config->credentials) {
            zyn_error_set (err, ZYN_ERR_VALIDATION,
                           "--auth needs --credentials FILE");
            zyn_gateway_destroy (&self);
            return NULL;
        }
        if (zyn_sigv4_load (self->keys, config->credentials, err) < 0) {
            zyn_gateway_destroy (&self);
            return NULL;
        }
    }
    const char *http = config->http ? config->http : "127.0.0.1:8000";
    int listen_fd = s_listen (&address, http, err);
    if (listen_fd < 0) {
        zyn_gateway_destroy (&self);
        return NULL;
    }
    struct sockaddr_in bound;
    socklen_t bound_size = sizeof (bound);
    if (getsockname (listen_fd, (struct sockaddr *) &bound, &bound_size) == 0)
        self->port = ntohs (bound.sin_port);
    //  Every loop's server polls (and at the end closes) its own copy of
    //  the listening socket; the first to accept takes the connection
    int loop_count = config->threads > 0 ? config->threads : 1;
    self->loops = (s_loop_t **) zmalloc (sizeof (s_loop_t *) * loop_count);
    for (int i = 0; i < loop_count; i++) {
        int fd = i + 1 < loop_count ? fcntl (listen_fd, F_DUPFD_CLOEXEC, 0)
                                    : listen_fd;
        assert (fd >= 0);
        self->loops [i] = s_loop_new (self, config, fd, err);
        if (!self->loops [i]) {
            if (i + 1 < loop_count)
                close (listen_fd);
            zyn_gateway_destroy (&self);
            return NULL;
        }
        self->loop_count++;
    }
    zsys_info ("zyn_gateway: listening port=%d broker=%s mode=%s threads=%d",
               self->port,
               config->broker ? config->broker : "tcp://127.0.0.1:7100",
               self->keys ? "auth" : "open", loop_count);
    return self;
}

//  --------------------------------------------------------------------------
//  Stop serving.

void
zyn_gateway_destroy (zyn_gateway_t **self_p)
{
    assert (self_p);
    zyn_gateway_t *self = *self_p;
    if (self) {
        //  Each loop answers its waiting requests before it stops
        for (int i = 0; i < self->loop_count; i++)
            s_loop_destroy (&self->loops [i]);
        free (self->loops);
        zyn_sigv4_destroy (&self->keys);
        free (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  The TCP port the gateway listens on.

int
zyn_gateway_port (zyn_gateway_t *self)
{
    assert (self);
    return self->port;
}
