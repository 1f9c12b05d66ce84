/*
 * dedupe._speedups: compiled versions of the engine's hot loops.
 *
 * Every function here has a pure-Python/numpy twin in the package and must
 * give exactly the same result (tests compare the two on the seeds and on a
 * slice of the Reuters corpus).  The module is optional: when it is not built
 * (no C compiler) or DEDUPE_PURE_PYTHON=1 is set, the twins run instead.
 *
 *   count_tokens(text, start, end)          len(TOKEN_RE.findall(text, start, end))
 *   shingle_units(texts, starts, ends, n)   word n-gram fingerprints of units,
 *                                           distinct and sorted per unit, with
 *                                           offsets and set keys
 *   word_hash64(word)                       SHA-1 of the UTF-8 word, first 8 bytes LE
 *   join_tokens(text)                       " ".join(TOKEN_RE.findall(text))
 *   token_spans(text)                       (start, end, lower-cased token) of each TOKEN_RE match
 *   paragraph_spans_plain(text)             splitting.paragraph_spans(text, marked=False)
 *   boundary_flags(text, paras)             which paragraphs may hold a sentence break
 *   paragraph_units(text, low, paras, punkt, min_words, want_quotes)
 *                                           sentences and quotes of enough words
 *   quote_spans(text, start, end)           quotes.quote_spans
 *   element_frequencies(fps)                how many sets hold each element
 *   count_at_least(freq, offsets, k)        per set, elements held by >= k sets
 *   containment_pairs(fps, offsets, freq, threshold, max_posting)
 *                                           prefix-filter containment candidates
 *   short_candidates(fps, offsets, freq, max_size, max_posting, slack)
 *                                           short sets sharing all but a few elements
 *   verify_pairs(pairs, fps, offsets)       exact intersection size of each pair
 *   minhash32(x, offsets, a, b)             MinHash signatures (affine32)
 *   matching_blocks(a, b)                   difflib's word alignment (autojunk off)
 *   word_links(pairs, words, threshold, max_changed)
 *                                           the word-level rule of short units, per pair
 *   band_pairs(sigs, n, width, bands, rows, max_bucket)
 *                                           LSH candidate pairs
 *   csr_take(values, offsets, rows)         CSR rows
 *   sort_keyed(keys, vals), merge_keyed(runs)
 *                                           index key segments, by key then unit
 *
 * Integer arrays cross the boundary as buffers (numpy arrays in, bytes out);
 * the module has no numpy C-API dependency.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define P64 0x9E3779B97F4A7C15ULL

/* ------------------------------------------------------------------ SHA-1 */

#define ROL(x, n) (((x) << (n)) | ((x) >> (32 - (n))))

static void sha1_block(uint32_t h[5], const unsigned char *p)
{
    uint32_t w[80];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 |
               (uint32_t)p[4 * i + 3];
    for (int i = 16; i < 80; i++) w[i] = ROL(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 80; i++) {
        uint32_t f, k;
        if (i < 20) {
            f = (b & c) | ((~b) & d);
            k = 0x5A827999;
        } else if (i < 40) {
            f = b ^ c ^ d;
            k = 0x6ED9EBA1;
        } else if (i < 60) {
            f = (b & c) | (b & d) | (c & d);
            k = 0x8F1BBCDC;
        } else {
            f = b ^ c ^ d;
            k = 0xCA62C1D6;
        }
        uint32_t t = ROL(a, 5) + f + e + k + w[i];
        e = d;
        d = c;
        c = ROL(b, 30);
        b = a;
        a = t;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
}

/* First 8 bytes of SHA-1(msg), read as a little-endian uint64. */
static uint64_t sha1_first8_le(const unsigned char *m, size_t len)
{
    uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
    size_t full = len / 64;
    for (size_t i = 0; i < full; i++) sha1_block(h, m + 64 * i);
    unsigned char buf[128];
    size_t rem = len - full * 64;
    memcpy(buf, m + full * 64, rem);
    buf[rem] = 0x80;
    size_t padlen = rem < 56 ? 64 : 128;
    memset(buf + rem + 1, 0, padlen - rem - 1);
    uint64_t bits = (uint64_t)len * 8;
    for (int i = 0; i < 8; i++) buf[padlen - 1 - i] = (unsigned char)(bits >> (8 * i));
    sha1_block(h, buf);
    if (padlen == 128) sha1_block(h, buf + 64);
    unsigned char d[8];
    for (int i = 0; i < 4; i++) {
        d[i] = (unsigned char)(h[0] >> (24 - 8 * i));
        d[4 + i] = (unsigned char)(h[1] >> (24 - 8 * i));
    }
    uint64_t r = 0;
    for (int i = 7; i >= 0; i--) r = (r << 8) | d[i];
    return r;
}

/* ------------------------------------------------------- word hash cache */

/* Process-wide cache: UTF-8 bytes of a word -> its 64-bit hash.  Open
 * addressing; keys live in an arena.  Forked workers inherit a copy. */
typedef struct {
    uint64_t fnv;  /* 0 = empty slot */
    uint64_t val;
    size_t off;
    size_t len;
} wentry;

static wentry *wtab = NULL;
static size_t wcap = 0, wcount = 0;
static unsigned char *arena = NULL;
static size_t arena_len = 0, arena_cap = 0;

static uint64_t fnv1a(const unsigned char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 0x100000001b3ULL;
    }
    return h ? h : 1;
}

static int wtab_grow(void)
{
    size_t ncap = wcap ? wcap * 2 : 1 << 16;
    wentry *nt = calloc(ncap, sizeof(wentry));
    if (!nt) return -1;
    for (size_t i = 0; i < wcap; i++) {
        if (!wtab[i].fnv) continue;
        size_t j = wtab[i].fnv & (ncap - 1);
        while (nt[j].fnv) j = (j + 1) & (ncap - 1);
        nt[j] = wtab[i];
    }
    free(wtab);
    wtab = nt;
    wcap = ncap;
    return 0;
}

/* Hash of a word given as UTF-8; -1 in *err on memory failure. */
static uint64_t word_hash_utf8(const unsigned char *s, size_t n, int *err)
{
    if (wcount * 2 >= wcap && wtab_grow() < 0) {
        *err = 1;
        return 0;
    }
    uint64_t f = fnv1a(s, n);
    size_t j = f & (wcap - 1);
    while (wtab[j].fnv) {
        if (wtab[j].fnv == f && wtab[j].len == n && memcmp(arena + wtab[j].off, s, n) == 0) return wtab[j].val;
        j = (j + 1) & (wcap - 1);
    }
    if (arena_len + n > arena_cap) {
        size_t ncap = arena_cap ? arena_cap * 2 : 1 << 20;
        while (ncap < arena_len + n) ncap *= 2;
        unsigned char *na = realloc(arena, ncap);
        if (!na) {
            *err = 1;
            return 0;
        }
        arena = na;
        arena_cap = ncap;
    }
    memcpy(arena + arena_len, s, n);
    uint64_t v = sha1_first8_le(s, n);
    wtab[j].fnv = f;
    wtab[j].val = v;
    wtab[j].off = arena_len;
    wtab[j].len = n;
    arena_len += n;
    wcount++;
    return v;
}

/* -------------------------------------------------------------- tokens */

/* Tokens are what TOKEN_RE = r"[^\W_]+(?:['.\-][^\W_]+)*" finds: runs of
 * alphanumerics (Py_UNICODE_ISALNUM is exactly sre's word class minus "_"),
 * joined by single inner apostrophes, periods or hyphens. */
#define IS_JOIN(c) ((c) == '\'' || (c) == '.' || (c) == '-')

static unsigned char alnum_latin1[256]; /* filled at import from Py_UNICODE_ISALNUM */
#define ISALNUM(c) ((c) < 256 ? alnum_latin1[c] : Py_UNICODE_ISALNUM(c))

/* Find the next token in [i, end); returns 1 and sets *ts and *te, or 0. */
static inline int next_token(int kind, const void *data, Py_ssize_t *pi, Py_ssize_t end, Py_ssize_t *ts,
                             Py_ssize_t *te)
{
    Py_ssize_t i = *pi;
    if (kind == PyUnicode_1BYTE_KIND) { /* the common case: Latin-1 text */
        const Py_UCS1 *d = data;
        while (i < end && !alnum_latin1[d[i]]) i++;
        if (i >= end) {
            *pi = end;
            return 0;
        }
        *ts = i;
        while (i < end && alnum_latin1[d[i]]) i++;
        while (i + 1 < end && IS_JOIN(d[i]) && alnum_latin1[d[i + 1]]) {
            i++;
            while (i < end && alnum_latin1[d[i]]) i++;
        }
        *te = i;
        *pi = i;
        return 1;
    }
    while (i < end && !ISALNUM(PyUnicode_READ(kind, data, i))) i++;
    if (i >= end) {
        *pi = end;
        return 0;
    }
    *ts = i;
    while (i < end && ISALNUM(PyUnicode_READ(kind, data, i))) i++;
    while (i + 1 < end && IS_JOIN(PyUnicode_READ(kind, data, i)) && ISALNUM(PyUnicode_READ(kind, data, i + 1))) {
        i++;
        while (i < end && ISALNUM(PyUnicode_READ(kind, data, i))) i++;
    }
    *te = i;
    *pi = i;
    return 1;
}

static int ready(PyObject *s)
{
    if (!PyUnicode_Check(s)) {
        PyErr_SetString(PyExc_TypeError, "expected str");
        return -1;
    }
#if PY_VERSION_HEX < 0x030C0000
    if (PyUnicode_READY(s) < 0) return -1;
#endif
    return 0;
}

static void clamp(Py_ssize_t len, Py_ssize_t *s, Py_ssize_t *e)
{
    if (*s < 0) *s = 0;
    if (*e > len) *e = len;
    if (*s > *e) *s = *e;
}

static PyObject *count_tokens(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "count_tokens(text, start, end)");
        return NULL;
    }
    PyObject *text = args[0];
    if (ready(text) < 0) return NULL;
    Py_ssize_t s = PyLong_AsSsize_t(args[1]), e = PyLong_AsSsize_t(args[2]);
    if ((s == -1 || e == -1) && PyErr_Occurred()) return NULL;
    clamp(PyUnicode_GET_LENGTH(text), &s, &e);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t i = s, ts, te, n = 0;
    while (next_token(kind, data, &i, e, &ts, &te)) n++;
    return PyLong_FromSsize_t(n);
}

/* join_tokens(text) -> " ".join(TOKEN_RE.findall(text)) */
static PyObject *join_tokens(PyObject *self, PyObject *text)
{
    if (ready(text) < 0) return NULL;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), i = 0, ts, te, total = 0, count = 0;
    Py_UCS4 maxchar = 0x7F;
    while (next_token(kind, data, &i, n, &ts, &te)) {
        total += te - ts;
        count++;
        for (Py_ssize_t j = ts; j < te; j++) {
            Py_UCS4 c = PyUnicode_READ(kind, data, j);
            if (c > maxchar) maxchar = c;
        }
    }
    if (count == 0) return PyUnicode_New(0, 0);
    PyObject *out = PyUnicode_New(total + count - 1, maxchar);
    if (!out) return NULL;
    int okind = PyUnicode_KIND(out);
    void *odata = PyUnicode_DATA(out);
    Py_ssize_t k = 0;
    i = 0;
    while (next_token(kind, data, &i, n, &ts, &te)) {
        if (k) PyUnicode_WRITE(okind, odata, k++, ' ');
        for (Py_ssize_t j = ts; j < te; j++) PyUnicode_WRITE(okind, odata, k++, PyUnicode_READ(kind, data, j));
    }
    return out;
}


/* token_spans(text) -> [(start, end, token.lower()), ...] for each TOKEN_RE match of text (the caller
 * has mapped quotes and dashes already, as normalize.token_spans does). */
static PyObject *token_spans(PyObject *self, PyObject *text)
{
    if (ready(text) < 0) return NULL;
    static PyObject *lower_name = NULL;
    if (!lower_name && !(lower_name = PyUnicode_InternFromString("lower"))) return NULL;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), i = 0, ts, te;
    PyObject *out = PyList_New(0);
    if (!out) return NULL;
    while (next_token(kind, data, &i, n, &ts, &te)) {
        PyObject *tok = NULL;
        int ascii = kind == PyUnicode_1BYTE_KIND;
        if (ascii) {
            const Py_UCS1 *d = data;
            for (Py_ssize_t j = ts; j < te && ascii; j++) ascii = d[j] < 0x80;
        }
        if (ascii) {
            const Py_UCS1 *d = data;
            tok = PyUnicode_New(te - ts, 0x7F);
            if (tok) {
                Py_UCS1 *o = PyUnicode_1BYTE_DATA(tok);
                for (Py_ssize_t j = ts; j < te; j++) {
                    Py_UCS1 c = d[j];
                    o[j - ts] = (c >= 'A' && c <= 'Z') ? (Py_UCS1)(c + 32) : c;
                }
            }
        } else {
            PyObject *sub = PyUnicode_Substring(text, ts, te);
            if (sub) {
                tok = PyObject_CallMethodNoArgs(sub, lower_name);
                Py_DECREF(sub);
            }
        }
        PyObject *t = tok ? Py_BuildValue("(nnN)", ts, te, tok) : NULL;
        if (!t || PyList_Append(out, t) < 0) {
            Py_XDECREF(t);
            Py_DECREF(out);
            return NULL;
        }
        Py_DECREF(t);
    }
    return out;
}

/* UTF-8 of text[ts:te] into *buf (grown as needed); returns length or -1. */
static Py_ssize_t utf8_of(int kind, const void *data, Py_ssize_t ts, Py_ssize_t te, unsigned char **buf,
                          size_t *cap)
{
    size_t need = (size_t)(te - ts) * 4;
    if (need > *cap) {
        unsigned char *nb = realloc(*buf, need);
        if (!nb) return -1;
        *buf = nb;
        *cap = need;
    }
    unsigned char *o = *buf;
    size_t k = 0;
    for (Py_ssize_t i = ts; i < te; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c < 0x80)
            o[k++] = (unsigned char)c;
        else if (c < 0x800) {
            o[k++] = 0xC0 | (c >> 6);
            o[k++] = 0x80 | (c & 0x3F);
        } else if (c < 0x10000) {
            o[k++] = 0xE0 | (c >> 12);
            o[k++] = 0x80 | ((c >> 6) & 0x3F);
            o[k++] = 0x80 | (c & 0x3F);
        } else {
            o[k++] = 0xF0 | (c >> 18);
            o[k++] = 0x80 | ((c >> 12) & 0x3F);
            o[k++] = 0x80 | ((c >> 6) & 0x3F);
            o[k++] = 0x80 | (c & 0x3F);
        }
    }
    return (Py_ssize_t)k;
}

static PyObject *py_word_hash64(PyObject *self, PyObject *arg)
{
    if (ready(arg) < 0) return NULL;
    unsigned char *buf = NULL;
    size_t cap = 0;
    Py_ssize_t n = utf8_of(PyUnicode_KIND(arg), PyUnicode_DATA(arg), 0, PyUnicode_GET_LENGTH(arg), &buf, &cap);
    if (n < 0) {
        free(buf);
        return PyErr_NoMemory();
    }
    uint64_t v = sha1_first8_le(buf ? buf : (const unsigned char *)"", (size_t)n);
    free(buf);
    return PyLong_FromUnsignedLongLong(v);
}

/* ---------------------------------------------------------------- helpers */

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static void sort_u64(uint64_t *a, size_t n)
{
    if (n < 24) {
        for (size_t i = 1; i < n; i++) {
            uint64_t v = a[i];
            size_t j = i;
            while (j > 0 && a[j - 1] > v) {
                a[j] = a[j - 1];
                j--;
            }
            a[j] = v;
        }
    } else
        qsort(a, n, sizeof(uint64_t), cmp_u64);
}

static inline uint64_t fmix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDULL;
    h ^= h >> 33;
    h *= 0xC4CEB9FE1A85EC53ULL;
    h ^= h >> 33;
    return h;
}

typedef struct {
    uint64_t *a;
    size_t n, cap;
} vec64;

static int vpush(vec64 *v, uint64_t x)
{
    if (v->n == v->cap) {
        size_t nc = v->cap ? v->cap * 2 : 1024;
        uint64_t *na = realloc(v->a, nc * sizeof(uint64_t));
        if (!na) return -1;
        v->a = na;
        v->cap = nc;
    }
    v->a[v->n++] = x;
    return 0;
}

/* Sorted pair codes (a * n + b) -> bytes of distinct int64 (a, b) pairs. */
static PyObject *pairs_from_codes(vec64 *codes, uint64_t n)
{
    size_t u = 0;
    for (size_t j = 0; j < codes->n; j++)
        if (j == 0 || codes->a[j] != codes->a[u - 1]) codes->a[u++] = codes->a[j];
    PyObject *result = PyBytes_FromStringAndSize(NULL, u * 2 * sizeof(int64_t));
    if (result) {
        int64_t *o = (int64_t *)PyBytes_AS_STRING(result);
        for (size_t j = 0; j < u; j++) {
            o[2 * j] = (int64_t)(codes->a[j] / n);
            o[2 * j + 1] = (int64_t)(codes->a[j] % n);
        }
    }
    return result;
}

static int get_buffer(PyObject *o, Py_buffer *b, Py_ssize_t itemsize, const char *what)
{
    if (PyObject_GetBuffer(o, b, PyBUF_C_CONTIGUOUS) < 0) return -1;
    if (b->len % itemsize) {
        PyBuffer_Release(b);
        PyErr_Format(PyExc_ValueError, "%s: buffer of %zd-byte items expected", what, itemsize);
        return -1;
    }
    return 0;
}

/* Several buffers at once: all of them acquired (0), or none (-1, error set). */
typedef struct {
    PyObject *obj;
    Py_buffer *buf;
    Py_ssize_t itemsize;
    const char *what;
} bufspec;

static int get_buffers(bufspec *specs, int n)
{
    for (int i = 0; i < n; i++)
        if (get_buffer(specs[i].obj, specs[i].buf, specs[i].itemsize, specs[i].what) < 0) {
            while (i-- > 0) PyBuffer_Release(specs[i].buf);
            return -1;
        }
    return 0;
}

static void release_buffers(bufspec *specs, int n)
{
    for (int i = 0; i < n; i++) PyBuffer_Release(specs[i].buf);
}

/* --------------------------------------------------------- shingle_units */

static PyObject *shingle_units(PyObject *self, PyObject *args)
{
    PyObject *texts, *ostarts, *oends;
    int n;
    if (!PyArg_ParseTuple(args, "O!OOi", &PyList_Type, &texts, &ostarts, &oends, &n)) return NULL;
    if (n < 1) {
        PyErr_SetString(PyExc_ValueError, "n must be at least 1");
        return NULL;
    }
    Py_buffer bs, be;
    bufspec bufs[] = {{ostarts, &bs, 8, "starts"}, {oends, &be, 8, "ends"}};
    if (get_buffers(bufs, 2) < 0) return NULL;
    Py_ssize_t units = PyList_GET_SIZE(texts);
    PyObject *result = NULL;
    const int64_t *st = bs.buf, *en = be.buf;
    vec64 fps = {0}, hs = {0};
    uint64_t *offs = NULL, *keys = NULL;
    unsigned char *buf = NULL;
    size_t cap = 0;
    int err = 0;
    if (bs.len / 8 != units || be.len / 8 != units) {
        PyErr_SetString(PyExc_ValueError, "texts, starts and ends differ in length");
        goto done;
    }
    offs = malloc((units + 1) * sizeof(uint64_t));
    keys = malloc((units ? units : 1) * sizeof(uint64_t));
    if (!offs || !keys) goto nomem;
    offs[0] = 0;
    for (Py_ssize_t u = 0; u < units; u++) {
        PyObject *t = PyList_GET_ITEM(texts, u);
        if (ready(t) < 0) goto done;
        int kind = PyUnicode_KIND(t);
        const void *data = PyUnicode_DATA(t);
        int ascii = PyUnicode_IS_ASCII(t);
        Py_ssize_t s = (Py_ssize_t)st[u], e = (Py_ssize_t)en[u];
        clamp(PyUnicode_GET_LENGTH(t), &s, &e);
        hs.n = 0;
        Py_ssize_t i = s, ts, te;
        while (next_token(kind, data, &i, e, &ts, &te)) {
            const unsigned char *w;
            Py_ssize_t m;
            if (ascii) { /* ASCII text is its own UTF-8 */
                w = (const unsigned char *)data + ts;
                m = te - ts;
            } else {
                m = utf8_of(kind, data, ts, te, &buf, &cap);
                if (m < 0) goto nomem;
                w = buf;
            }
            uint64_t h = word_hash_utf8(w, (size_t)m, &err);
            if (err || vpush(&hs, h) < 0) goto nomem;
        }
        size_t m = hs.n, base = fps.n;
        size_t nsh = m >= (size_t)n ? m - n + 1 : (m ? 1 : 0);
        size_t width = m >= (size_t)n ? (size_t)n : m;
        for (size_t k = 0; k < nsh; k++) {
            uint64_t f = 0;
            for (size_t w = 0; w < width; w++) f = f * P64 + hs.a[k + w];
            if (vpush(&fps, f) < 0) goto nomem;
        }
        sort_u64(fps.a + base, nsh);
        size_t out = base;
        for (size_t k = base; k < base + nsh; k++)
            if (k == base || fps.a[k] != fps.a[out - 1]) fps.a[out++] = fps.a[k];
        fps.n = out;
        uint64_t key = (uint64_t)(out - base) * P64;
        for (size_t k = base; k < out; k++) key += fmix64(fps.a[k]);
        keys[u] = key;
        offs[u + 1] = out;
    }
    {
        PyObject *a = PyBytes_FromStringAndSize((const char *)fps.a, fps.n * sizeof(uint64_t));
        PyObject *b = PyBytes_FromStringAndSize((const char *)offs, (units + 1) * sizeof(uint64_t));
        PyObject *c = PyBytes_FromStringAndSize((const char *)keys, units * sizeof(uint64_t));
        if (a && b && c) result = PyTuple_Pack(3, a, b, c);
        Py_XDECREF(a);
        Py_XDECREF(b);
        Py_XDECREF(c);
    }
    goto done;
nomem:
    PyErr_NoMemory();
done:
    free(fps.a);
    free(hs.a);
    free(offs);
    free(keys);
    free(buf);
    release_buffers(bufs, 2);
    return result;
}

/* ------------------------------------------------ sorting fingerprints */

/* Fingerprints are uniform 64-bit hashes: a counting pass on their top bits
 * (about four per bucket) and a tiny sort per bucket sort them with
 * sequential memory traffic, where a hash table would miss the cache on
 * every element.  Memory is kept to the output arrays: fresh pages are
 * costly here (a page fault each). */

static int bucket_bits(size_t n)
{
    int bits = 8;
    while (bits < 22 && ((size_t)1 << bits) * 4 < n) bits++;
    return bits;
}

/* dir[(1 << bits) + 1]: bucket boundaries of the keys' top bits. */
static size_t *bucket_dir(const uint64_t *keys, size_t n, int bits, const int32_t *mask, int32_t lo, int32_t hi)
{
    size_t nb = (size_t)1 << bits;
    int shift = 64 - bits;
    size_t *dir = calloc(nb + 1, sizeof(size_t));
    if (!dir) return NULL;
    for (size_t i = 0; i < n; i++)
        if (!mask || (mask[i] >= lo && mask[i] <= hi)) dir[(keys[i] >> shift) + 1]++;
    for (size_t k = 0; k < nb; k++) dir[k + 1] += dir[k];
    return dir;
}


/* ------------------------------------------------- element frequencies */

typedef struct {
    uint64_t key;
    int64_t val;
} kv;

static void sort_kv_small(kv *a, size_t m);

/* For each element of fps, how many times its value occurs in fps (int32):
 * (value, position) pairs are scattered into buckets by their top bits,
 * each bucket is sorted, and every run of equal values writes its length
 * back to the positions. */
/* Two threads over one job: fn(a0) here, fn(a1) in a second thread (run here after a0 when the
 * thread cannot start).  Only for work that touches no Python object (the GIL is released). */
typedef void *(*job_fn)(void *);

static void run_two(job_fn fn, void *a0, void *a1)
{
    pthread_t th;
    int started = pthread_create(&th, NULL, fn, a1) == 0;
    fn(a0);
    if (started)
        pthread_join(th, NULL);
    else
        fn(a1);
}

/* From this many elements on, element_frequencies counts its buckets in two threads. */
#ifndef EF_PARALLEL
#define EF_PARALLEL 400000
#endif
#define EF_BITS 11 /* 2048 buckets: the scatter writes stay in cache */

typedef struct {
    const uint64_t *key;  /* the elements, grouped by bucket */
    const uint32_t *pos;  /* their positions in fps */
    const size_t *dir;    /* bucket k holds [dir[k], dir[k+1]) */
    size_t klo, khi;
    int32_t *freq;
    int oom;
} efjob;

/* Count each bucket's values in a small hash table (in cache), then write every element's count. */
static void *ef_count(void *arg)
{
    efjob *j = arg;
    size_t cap = 0;
    uint64_t *tk = NULL;
    int32_t *tc = NULL;
    uint32_t *slot = NULL;
    for (size_t k = j->klo; k < j->khi; k++) {
        size_t lo = j->dir[k], m = j->dir[k + 1] - lo;
        if (m == 0) continue;
        size_t need = 16;
        while (need < 2 * m) need <<= 1;
        if (need > cap) {
            free(tk);
            free(tc);
            free(slot);
            cap = need;
            tk = malloc(cap * sizeof(uint64_t));
            tc = malloc(cap * sizeof(int32_t));
            slot = malloc(cap / 2 * sizeof(uint32_t));
            if (!tk || !tc || !slot) {
                j->oom = 1;
                break;
            }
        }
        memset(tc, 0, need * sizeof(int32_t));
        int tb = 0;
        while (((size_t)1 << tb) < need) tb++;
        const uint64_t *key = j->key + lo;
        for (size_t i = 0; i < m; i++) {
            uint64_t x = key[i];
            size_t h = (size_t)((x * P64) >> (64 - tb));
            while (tc[h] && tk[h] != x) h = (h + 1) & (need - 1);
            if (!tc[h]) tk[h] = x;
            tc[h]++;
            slot[i] = (uint32_t)h;
        }
        const uint32_t *pos = j->pos + lo;
        for (size_t i = 0; i < m; i++) j->freq[pos[i]] = tc[slot[i]];
    }
    free(tk);
    free(tc);
    free(slot);
    return NULL;
}

/* For each element of fps, how many times its value occurs in fps (int32):
 * the elements are scattered into 2048 buckets by their top bits (keys and
 * positions, in order), and each bucket's values are counted in a hash table
 * small enough to stay in cache; a large input's buckets are counted by two
 * threads. */
static PyObject *element_frequencies(PyObject *self, PyObject *arg)
{
    Py_buffer bf;
    if (get_buffer(arg, &bf, 8, "fps") < 0) return NULL;
    const uint64_t *f = bf.buf;
    size_t n = bf.len / 8;
    PyObject *out = NULL;
    uint64_t *keys = NULL;
    uint32_t *pos = NULL;
    size_t *dir = NULL, *fill = NULL;
    int oom = 0;
    if ((Py_ssize_t)n > INT32_MAX) {
        PyErr_SetString(PyExc_OverflowError, "too many elements");
        goto done;
    }
    size_t nb = (size_t)1 << EF_BITS;
    int shift = 64 - EF_BITS;
    out = PyBytes_FromStringAndSize(NULL, n * sizeof(int32_t));
    keys = malloc((n ? n : 1) * sizeof(uint64_t));
    pos = malloc((n ? n : 1) * sizeof(uint32_t));
    dir = calloc(nb + 1, sizeof(size_t));
    fill = malloc(nb * sizeof(size_t));
    if (!out || !keys || !pos || !dir || !fill) {
        Py_CLEAR(out);
        PyErr_NoMemory();
        goto done;
    }
    int32_t *freq = (int32_t *)PyBytes_AS_STRING(out);
    Py_BEGIN_ALLOW_THREADS
    for (size_t i = 0; i < n; i++) dir[(f[i] >> shift) + 1]++;
    for (size_t k = 0; k < nb; k++) dir[k + 1] += dir[k];
    memcpy(fill, dir, nb * sizeof(size_t));
    for (size_t i = 0; i < n; i++) {
        size_t q = fill[f[i] >> shift]++;
        keys[q] = f[i];
        pos[q] = (uint32_t)i;
    }
    efjob jobs[2] = {{keys, pos, dir, 0, nb, freq, 0}, {keys, pos, dir, nb, nb, freq, 0}};
    if (n >= EF_PARALLEL) {
        size_t half = 0; /* split the buckets where half the elements are */
        while (half < nb && dir[half] < n / 2) half++;
        jobs[0].khi = jobs[1].klo = half;
        run_two(ef_count, &jobs[0], &jobs[1]);
    } else
        ef_count(&jobs[0]);
    oom = jobs[0].oom || jobs[1].oom;
    Py_END_ALLOW_THREADS
    if (oom) {
        Py_CLEAR(out);
        PyErr_NoMemory();
    }
done:
    free(keys);
    free(pos);
    free(dir);
    free(fill);
    PyBuffer_Release(&bf);
    return out;
}

/* Per set (CSR offsets), how many of its elements have freq >= k. */
static PyObject *count_at_least(PyObject *self, PyObject *args)
{
    PyObject *ofreq, *ooff;
    int k;
    if (!PyArg_ParseTuple(args, "OOi", &ofreq, &ooff, &k)) return NULL;
    Py_buffer bq, bo;
    bufspec bufs[] = {{ofreq, &bq, 4, "freq"}, {ooff, &bo, 8, "offsets"}};
    if (get_buffers(bufs, 2) < 0) return NULL;
    PyObject *out = NULL;
    const int32_t *freq = bq.buf;
    const int64_t *off = bo.buf;
    Py_ssize_t nsets = bo.len / 8 - 1;
    if (nsets < 0 || off[nsets] != bq.len / 4) {
        PyErr_SetString(PyExc_ValueError, "freq and offsets do not agree");
        goto done;
    }
    out = PyBytes_FromStringAndSize(NULL, nsets * sizeof(int64_t));
    if (!out) goto done;
    int64_t *o = (int64_t *)PyBytes_AS_STRING(out);
    for (Py_ssize_t s = 0; s < nsets; s++) {
        int64_t c = 0;
        for (int64_t i = off[s]; i < off[s + 1]; i++) c += freq[i] >= k;
        o[s] = c;
    }
done:
    release_buffers(bufs, 2);
    return out;
}

/* sort_keyed(keys uint64, vals uint32) -> (keys, vals) sorted by (key, val) */
static PyObject *sort_keyed(PyObject *self, PyObject *args)
{
    PyObject *ok, *ov;
    if (!PyArg_ParseTuple(args, "OO", &ok, &ov)) return NULL;
    Py_buffer bk, bv;
    bufspec bufs[] = {{ok, &bk, 8, "keys"}, {ov, &bv, 4, "vals"}};
    if (get_buffers(bufs, 2) < 0) return NULL;
    PyObject *result = NULL, *a = NULL, *b = NULL;
    size_t n = bk.len / 8;
    kv *sorted = NULL;
    size_t *dir = NULL, *fill = NULL;
    if ((size_t)(bv.len / 4) != n) {
        PyErr_SetString(PyExc_ValueError, "keys and vals differ in length");
        goto done;
    }
    const uint64_t *k = bk.buf;
    const uint32_t *v = bv.buf;
    int bits = bucket_bits(n), shift = 64 - bits;
    size_t nb = (size_t)1 << bits;
    sorted = malloc((n ? n : 1) * sizeof(kv));
    dir = bucket_dir(k, n, bits, NULL, 0, 0);
    fill = malloc(nb * sizeof(size_t));
    a = PyBytes_FromStringAndSize(NULL, n * 8);
    b = PyBytes_FromStringAndSize(NULL, n * 4);
    if (!sorted || !dir || !fill || !a || !b) {
        PyErr_NoMemory();
        goto done;
    }
    uint64_t *ko = (uint64_t *)PyBytes_AS_STRING(a);
    uint32_t *vo = (uint32_t *)PyBytes_AS_STRING(b);
    Py_BEGIN_ALLOW_THREADS
    memcpy(fill, dir, nb * sizeof(size_t));
    for (size_t i = 0; i < n; i++) {
        kv *e = sorted + fill[k[i] >> shift]++;
        e->key = k[i];
        e->val = v[i];
    }
    for (size_t q = 0; q < nb; q++) sort_kv_small(sorted + dir[q], dir[q + 1] - dir[q]);
    for (size_t i = 0; i < n; i++) {
        ko[i] = sorted[i].key;
        vo[i] = (uint32_t)sorted[i].val;
    }
    Py_END_ALLOW_THREADS
    result = PyTuple_Pack(2, a, b);
done:
    Py_XDECREF(a);
    Py_XDECREF(b);
    free(sorted);
    free(dir);
    free(fill);
    release_buffers(bufs, 2);
    return result;
}

/* merge_keyed([(keys, vals), ...]) -> (keys, vals): runs each sorted by
 * (key, val) merged into one sorted by (key, val) (a k-way merge on a heap). */
typedef struct {
    const uint64_t *k;
    const uint32_t *v;
    size_t i, n;
} run_t;

static int run_less(const run_t *a, const run_t *b)
{
    uint64_t x = a->k[a->i], y = b->k[b->i];
    return x < y || (x == y && a->v[a->i] < b->v[b->i]);
}

static void heap_down(run_t **h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && run_less(h[l], h[m])) m = l;
        if (r < n && run_less(h[r], h[m])) m = r;
        if (m == i) return;
        run_t *t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

static PyObject *merge_keyed(PyObject *self, PyObject *arg)
{
    if (!PyList_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "merge_keyed expects a list of (keys, vals)");
        return NULL;
    }
    Py_ssize_t nr = PyList_GET_SIZE(arg);
    Py_buffer *bufs = calloc(2 * (nr ? nr : 1), sizeof(Py_buffer));
    run_t *runs = calloc(nr ? nr : 1, sizeof(run_t));
    run_t **heap = calloc(nr ? nr : 1, sizeof(run_t *));
    PyObject *result = NULL, *a = NULL, *b = NULL;
    Py_ssize_t got = 0;
    size_t total = 0;
    if (!bufs || !runs || !heap) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t r = 0; r < nr; r++) {
        PyObject *kvp = PyList_GET_ITEM(arg, r);
        if (!PyTuple_Check(kvp) || PyTuple_GET_SIZE(kvp) != 2) {
            PyErr_SetString(PyExc_TypeError, "merge_keyed expects (keys, vals) tuples");
            goto done;
        }
        if (get_buffer(PyTuple_GET_ITEM(kvp, 0), &bufs[2 * r], 8, "keys") < 0) goto done;
        if (get_buffer(PyTuple_GET_ITEM(kvp, 1), &bufs[2 * r + 1], 4, "vals") < 0) {
            PyBuffer_Release(&bufs[2 * r]);
            goto done;
        }
        got = r + 1;
        runs[r].k = bufs[2 * r].buf;
        runs[r].v = bufs[2 * r + 1].buf;
        runs[r].n = bufs[2 * r].len / 8;
        if ((size_t)(bufs[2 * r + 1].len / 4) != runs[r].n) {
            PyErr_SetString(PyExc_ValueError, "keys and vals differ in length");
            goto done;
        }
        total += runs[r].n;
    }
    a = PyBytes_FromStringAndSize(NULL, total * 8);
    b = PyBytes_FromStringAndSize(NULL, total * 4);
    if (!a || !b) goto done;
    uint64_t *ko = (uint64_t *)PyBytes_AS_STRING(a);
    uint32_t *vo = (uint32_t *)PyBytes_AS_STRING(b);
    Py_BEGIN_ALLOW_THREADS
    size_t hn = 0;
    for (Py_ssize_t r = 0; r < nr; r++)
        if (runs[r].n) heap[hn++] = &runs[r];
    for (size_t i = hn; i-- > 0;) heap_down(heap, hn, i);
    size_t o = 0;
    while (hn) {
        run_t *t = heap[0];
        ko[o] = t->k[t->i];
        vo[o] = t->v[t->i];
        o++;
        if (++t->i == t->n) heap[0] = heap[--hn];
        heap_down(heap, hn, 0);
    }
    Py_END_ALLOW_THREADS
    result = PyTuple_Pack(2, a, b);
done:
    Py_XDECREF(a);
    Py_XDECREF(b);
    for (Py_ssize_t r = 0; r < got; r++) {
        PyBuffer_Release(&bufs[2 * r]);
        PyBuffer_Release(&bufs[2 * r + 1]);
    }
    free(bufs);
    free(runs);
    free(heap);
    return result;
}

/* ---------------------------------------------------- containment pairs */

typedef struct {
    int64_t freq;
    uint64_t fp;
} probe_t;

static int cmp_probe(const void *a, const void *b)
{
    const probe_t *x = a, *y = b;
    if (x->freq != y->freq) return (x->freq > y->freq) - (x->freq < y->freq);
    return (x->fp > y->fp) - (x->fp < y->fp);
}

static int cmp_kv(const void *a, const void *b)
{
    const kv *x = a, *y = b;
    if (x->key != y->key) return (x->key > y->key) - (x->key < y->key);
    return (x->val > y->val) - (x->val < y->val);
}

/* Sort by (key, val): insertion sort for the usual tiny bucket. */
static void sort_kv_small(kv *a, size_t m)
{
    if (m > 32) {
        qsort(a, m, sizeof(kv), cmp_kv);
        return;
    }
    for (size_t i = 1; i < m; i++) {
        kv v = a[i];
        size_t j = i;
        while (j > 0 && (a[j - 1].key > v.key || (a[j - 1].key == v.key && a[j - 1].val > v.val))) {
            a[j] = a[j - 1];
            j--;
        }
        a[j] = v;
    }
}

static PyObject *containment_pairs(PyObject *self, PyObject *args)
{
    PyObject *ofps, *ooff, *ofreq;
    double threshold;
    long long max_posting;
    if (!PyArg_ParseTuple(args, "OOOdL", &ofps, &ooff, &ofreq, &threshold, &max_posting)) return NULL;
    Py_buffer bf, bo, bq;
    bufspec bufs[] = {{ofps, &bf, 8, "fps"}, {ooff, &bo, 8, "offsets"}, {ofreq, &bq, 4, "freq"}};
    if (get_buffers(bufs, 3) < 0) return NULL;
    PyObject *result = NULL;
    const uint64_t *f = bf.buf;
    const int64_t *off = bo.buf;
    const int32_t *freq = bq.buf;
    size_t nel = bf.len / 8;
    Py_ssize_t nsets = bo.len / 8 - 1;
    kv *post = NULL;
    size_t *dir = NULL, *fill = NULL;
    probe_t *pr = NULL;
    vec64 codes = {0};
    int oom = 0;
    if (bq.len / 4 != (Py_ssize_t)nel || nsets < 0 || off[nsets] != (int64_t)nel) {
        PyErr_SetString(PyExc_ValueError, "fps, offsets and freq do not agree");
        goto done;
    }
    int32_t maxp = max_posting > INT32_MAX ? INT32_MAX : (int32_t)max_posting;
    Py_BEGIN_ALLOW_THREADS
    /* posting lists of the elements that can be probed (2 <= freq <= max_posting):
     * (fingerprint, set) pairs sorted, so each list is a run */
    size_t nprob = 0;
    for (size_t i = 0; i < nel; i++)
        if (freq[i] >= 2 && freq[i] <= maxp) nprob++;
    int bits = bucket_bits(nprob), shift = 64 - bits;
    size_t nb = (size_t)1 << bits;
    post = malloc((nprob ? nprob : 1) * sizeof(kv));
    dir = bucket_dir(f, nel, bits, freq, 2, maxp);
    fill = malloc(nb * sizeof(size_t));
    int64_t maxsz = 0;
    for (Py_ssize_t s = 0; s < nsets; s++)
        if (off[s + 1] - off[s] > maxsz) maxsz = off[s + 1] - off[s];
    pr = malloc((maxsz ? maxsz : 1) * sizeof(probe_t));
    if (!post || !dir || !fill || !pr) {
        oom = 1;
        goto unlock;
    }
    memcpy(fill, dir, nb * sizeof(size_t));
    for (Py_ssize_t s = 0; s < nsets; s++)
        for (int64_t i = off[s]; i < off[s + 1]; i++)
            if (freq[i] >= 2 && freq[i] <= maxp) {
                kv *e = post + fill[f[i] >> shift]++;
                e->key = f[i];
                e->val = s;
            }
    for (size_t k = 0; k < nb; k++) sort_kv_small(post + dir[k], dir[k + 1] - dir[k]);
    /* probe each set's rarest shared elements: by (freq, fingerprint) */
    for (Py_ssize_t s = 0; s < nsets; s++) {
        int64_t size = off[s + 1] - off[s];
        if (size == 0) continue;
        int64_t need = (int64_t)ceil(threshold * (double)size - 1e-9);
        int64_t prefix = size - need + 1;
        if (prefix < 1) prefix = 1;
        int64_t singles = 0, np_ = 0;
        for (int64_t i = off[s]; i < off[s + 1]; i++) {
            if (freq[i] == 1)
                singles++;
            else if (freq[i] >= 2) {
                pr[np_].freq = freq[i];
                pr[np_].fp = f[i];
                np_++;
            }
        }
        int64_t slots = prefix - singles;
        if (slots <= 0 || np_ == 0) continue;
        qsort(pr, np_, sizeof(probe_t), cmp_probe);
        for (int64_t r = 0; r < np_ && r < slots; r++) {
            if (pr[r].freq > maxp) continue;
            uint64_t key = pr[r].fp;
            size_t lo = dir[key >> shift], hi = dir[(key >> shift) + 1];
            for (size_t q = lo; q < hi; q++) {
                if (post[q].key != key) continue;
                int64_t d = post[q].val;
                if (d == s) continue;
                uint64_t a = s < d ? s : d, b = s < d ? d : s;
                if (vpush(&codes, a * (uint64_t)nsets + b) < 0) {
                    oom = 1;
                    goto unlock;
                }
            }
        }
    }
    if (codes.n) qsort(codes.a, codes.n, sizeof(uint64_t), cmp_u64);
unlock:
    Py_END_ALLOW_THREADS
    if (oom) {
        PyErr_NoMemory();
        goto done;
    }
    result = pairs_from_codes(&codes, (uint64_t)nsets);
done:
    free(post);
    free(dir);
    free(fill);
    free(pr);
    free(codes.a);
    release_buffers(bufs, 3);
    return result;
}

/* ---------------------------------------------------------- verify_pairs */

static int sorted_u64(const uint64_t *a, int64_t n)
{
    for (int64_t i = 1; i < n; i++)
        if (a[i - 1] >= a[i]) return 0;
    return 1;
}

/* Sets must be distinct per set; they are sorted here when they are not. */

/* short_candidates with freq given, by prefix filtering (exact): a pair must share at least
 * T = max(2, max(|i|, |j|) - slack) kept values (2 <= freq <= max_posting), so at least
 * t_i = max(2, |i| - slack) <= T of them; a set with fewer kept values than t_i pairs with nothing,
 * and two sets sharing T kept values share one of the first k - t + 1 of each one's kept values in a
 * global order (rarest first, then by value).  Only those prefixes are indexed; each pair found is
 * then counted exactly by merging the two sorted sets.  Same pairs, order and counts as the counting
 * pass below.  Returns 1 (nothing done) when a short set is not sorted, -1 when out of memory. */
static int short_prefix(const uint64_t *f, const int64_t *off, const int32_t *freq, Py_ssize_t nsets,
                        long long max_size, long long max_posting, long long slack, vec64 *outp, vec64 *outs)
{
    for (Py_ssize_t s = 0; s < nsets; s++)
        if (off[s + 1] - off[s] <= max_size)
            for (int64_t e = off[s] + 1; e < off[s + 1]; e++)
                if (f[e - 1] >= f[e]) return 1;
    int rc = -1;
    kv *ent = NULL;
    size_t nent = 0, cap = 0;
    probe_t pr[64];
    probe_t *big = NULL;
    vec64 codes = {0};
    for (Py_ssize_t s = 0; s < nsets; s++) {
        int64_t size = off[s + 1] - off[s];
        if (size > max_size || size == 0) continue;
        probe_t *buf = size <= 64 ? pr : NULL;
        if (!buf) {
            free(big);
            big = malloc((size_t)size * sizeof(probe_t));
            if (!big) goto out;
            buf = big;
        }
        int64_t k = 0;
        for (int64_t e = off[s]; e < off[s + 1]; e++)
            if (freq[e] >= 2 && freq[e] <= max_posting) {
                buf[k].freq = freq[e];
                buf[k].fp = f[e];
                k++;
            }
        int64_t t = size - slack > 2 ? size - slack : 2;
        if (k < t) continue;
        int64_t plen = k - t + 1;
        if (k > 1) qsort(buf, (size_t)k, sizeof(probe_t), cmp_probe);
        if (nent + (size_t)plen > cap) {
            size_t nc = cap ? cap * 2 : 4096;
            while (nc < nent + (size_t)plen) nc *= 2;
            kv *ne = realloc(ent, nc * sizeof(kv));
            if (!ne) goto out;
            ent = ne;
            cap = nc;
        }
        for (int64_t r = 0; r < plen; r++) {
            ent[nent].key = buf[r].fp;
            ent[nent].val = s;
            nent++;
        }
    }
    if (nent > 1) qsort(ent, nent, sizeof(kv), cmp_kv);
    for (size_t i = 0; i < nent;) {
        size_t j = i + 1;
        while (j < nent && ent[j].key == ent[i].key) j++;
        for (size_t p = i; p < j; p++)
            for (size_t q = p + 1; q < j; q++)  /* sets ascending within a value: p's < q's */
                if (vpush(&codes, (uint64_t)ent[p].val * (uint64_t)nsets + (uint64_t)ent[q].val) < 0) goto out;
        i = j;
    }
    if (codes.n > 1) sort_u64(codes.a, codes.n);
    for (size_t c = 0; c < codes.n; c++) {
        if (c && codes.a[c] == codes.a[c - 1]) continue;
        int64_t a = (int64_t)(codes.a[c] / (uint64_t)nsets), b = (int64_t)(codes.a[c] % (uint64_t)nsets);
        int64_t x = off[a], xe = off[a + 1], y = off[b], ye = off[b + 1], shared = 0;
        while (x < xe && y < ye) {
            if (f[x] < f[y])
                x++;
            else if (f[x] > f[y])
                y++;
            else {
                if (freq[x] >= 2 && freq[x] <= max_posting) shared++;
                x++;
                y++;
            }
        }
        int64_t sa = xe - off[a], sb = ye - off[b];
        int64_t bigsz = sa > sb ? sa : sb;
        int64_t need = bigsz - slack > 2 ? bigsz - slack : 2;
        if (shared >= need)
            if (vpush(outp, (uint64_t)a) < 0 || vpush(outp, (uint64_t)b) < 0 || vpush(outs, (uint64_t)shared) < 0)
                goto out;
    }
    rc = 0;
out:
    free(ent);
    free(big);
    free(codes.a);
    return rc;
}

/* short_candidates(fps, offsets, freq, max_size, max_posting, slack) -> (pairs, shared):
 * dedupe.sketch.containment.short_candidates.  Elements of sets of at most max_size elements (with
 * freq given: held by 2..max_posting sets) are grouped by value in a hash table; a value held by
 * 2..max_posting of those sets links every two of its holders.  Pairs (i < j) sharing at least
 * max(2, max(|i|, |j|) - slack) such values, in (i, j) order, with the count; int64 bytes. */
static PyObject *short_candidates(PyObject *self, PyObject *args)
{
    PyObject *ofps, *ooff, *ofreq;
    long long max_size, max_posting, slack;
    if (!PyArg_ParseTuple(args, "OOOLLL", &ofps, &ooff, &ofreq, &max_size, &max_posting, &slack)) return NULL;
    int has_freq = ofreq != Py_None;
    Py_buffer bf, bo, bq;
    bufspec bufs[] = {{ofps, &bf, 8, "fps"}, {ooff, &bo, 8, "offsets"}, {has_freq ? ofreq : ofps, &bq, has_freq ? 4 : 8, "freq"}};
    if (get_buffers(bufs, 3) < 0) return NULL;
    PyObject *result = NULL;
    const uint64_t *f = bf.buf;
    const int64_t *off = bo.buf;
    const int32_t *freq = has_freq ? bq.buf : NULL;
    size_t nel = bf.len / 8;
    Py_ssize_t nsets = bo.len / 8 - 1;
    uint64_t *keys = NULL;
    int64_t *cnt = NULL, *start = NULL, *hold = NULL, *slot_of = NULL, *touched = NULL;
    int32_t *counter = NULL;
    vec64 outp = {0}, outs = {0};
    int oom = 0;
    if ((has_freq && bq.len / 4 != (Py_ssize_t)nel) || nsets < 0 || off[nsets] != (int64_t)nel) {
        PyErr_SetString(PyExc_ValueError, "fps, offsets and freq do not agree");
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    if (freq) {
        int pr_rc = short_prefix(f, off, freq, nsets, max_size, max_posting, slack, &outp, &outs);
        if (pr_rc <= 0) {
            oom = pr_rc < 0;
            goto unlock;
        }
    }
#define SC_KEEP(s, e) (off[(s) + 1] - off[s] <= max_size && (!freq || (freq[e] >= 2 && freq[e] <= max_posting)))
    size_t kept = 0;
    for (Py_ssize_t s = 0; s < nsets; s++)
        if (off[s + 1] - off[s] <= max_size)
            for (int64_t e = off[s]; e < off[s + 1]; e++)
                if (SC_KEEP(s, e)) kept++;
    size_t cap = 16;
    while (cap < 2 * kept) cap <<= 1;
    keys = malloc(cap * sizeof(uint64_t));
    cnt = calloc(cap, sizeof(int64_t));  /* holders + 1 of each used slot (0 = empty) */
    start = malloc((cap + 1) * sizeof(int64_t));
    hold = malloc((kept ? kept : 1) * sizeof(int64_t));
    slot_of = malloc((nel ? nel : 1) * sizeof(int64_t));
    counter = calloc(nsets ? nsets : 1, sizeof(int32_t));
    touched = malloc((nsets ? nsets : 1) * sizeof(int64_t));
    if (!keys || !cnt || !start || !hold || !slot_of || !counter || !touched) {
        oom = 1;
        goto unlock;
    }
    for (Py_ssize_t s = 0; s < nsets; s++) {
        if (off[s + 1] - off[s] > max_size) continue;
        for (int64_t e = off[s]; e < off[s + 1]; e++) {
            if (!SC_KEEP(s, e)) {
                slot_of[e] = -1;
                continue;
            }
            size_t h = fmix64(f[e]) & (cap - 1);
            while (cnt[h] && keys[h] != f[e]) h = (h + 1) & (cap - 1);
            if (!cnt[h]) {
                keys[h] = f[e];
                cnt[h] = 1;
            }
            cnt[h]++;
            slot_of[e] = (int64_t)h;
        }
    }
    int64_t acc = 0;
    for (size_t h = 0; h < cap; h++) {
        start[h] = acc;
        if (cnt[h]) acc += cnt[h] - 1;
    }
    start[cap] = acc;
    {
        int64_t *fill = malloc(cap * sizeof(int64_t));
        if (!fill) {
            oom = 1;
            goto unlock;
        }
        memcpy(fill, start, cap * sizeof(int64_t));
        for (Py_ssize_t s = 0; s < nsets; s++) {
            if (off[s + 1] - off[s] > max_size) continue;
            for (int64_t e = off[s]; e < off[s + 1]; e++)
                if (slot_of[e] >= 0) hold[fill[slot_of[e]]++] = s;
        }
        free(fill);
    }
    for (Py_ssize_t s = 0; s < nsets; s++) {
        int64_t size = off[s + 1] - off[s];
        if (size > max_size) continue;
        size_t nt = 0;
        for (int64_t e = off[s]; e < off[s + 1]; e++) {
            int64_t h = slot_of[e];
            if (h < 0) continue;
            int64_t c = cnt[h] - 1;
            if (c < 2 || c > max_posting) continue;
            for (int64_t q = start[h]; q < start[h] + c; q++) {
                int64_t d = hold[q];
                if (d <= s) continue;
                if (!counter[d]++) touched[nt++] = d;
            }
        }
        if (nt > 1) sort_u64((uint64_t *)touched, nt);
        for (size_t t = 0; t < nt; t++) {
            int64_t d = touched[t];
            int64_t big = size > off[d + 1] - off[d] ? size : off[d + 1] - off[d];
            int64_t need = big - slack > 2 ? big - slack : 2;
            if (counter[d] >= need && !oom)
                if (vpush(&outp, (uint64_t)s) < 0 || vpush(&outp, (uint64_t)d) < 0 || vpush(&outs, (uint64_t)counter[d]) < 0)
                    oom = 1;
            counter[d] = 0;
        }
    }
#undef SC_KEEP
unlock:
    Py_END_ALLOW_THREADS
    if (oom) {
        PyErr_NoMemory();
        goto done;
    }
    result = Py_BuildValue("(y#y#)", outp.a ? (const char *)outp.a : "", (Py_ssize_t)(outp.n * 8),
                           outs.a ? (const char *)outs.a : "", (Py_ssize_t)(outs.n * 8));
done:
    free(keys);
    free(cnt);
    free(start);
    free(hold);
    free(slot_of);
    free(counter);
    free(touched);
    free(outp.a);
    free(outs.a);
    release_buffers(bufs, 3);
    return result;
}

static PyObject *verify_pairs(PyObject *self, PyObject *args)
{
    PyObject *opairs, *ofps, *ooff;
    if (!PyArg_ParseTuple(args, "OOO", &opairs, &ofps, &ooff)) return NULL;
    Py_buffer bp, bf, bo;
    bufspec bufs[] = {{opairs, &bp, 16, "pairs"}, {ofps, &bf, 8, "fps"}, {ooff, &bo, 8, "offsets"}};
    if (get_buffers(bufs, 3) < 0) return NULL;
    PyObject *result = NULL;
    const int64_t *pairs = bp.buf, *off = bo.buf;
    size_t npairs = bp.len / 16, nel = bf.len / 8;
    Py_ssize_t nsets = bo.len / 8 - 1;
    uint64_t *f = NULL;
    if (nsets < 0 || off[nsets] != (int64_t)nel) {
        PyErr_SetString(PyExc_ValueError, "fps and offsets do not agree");
        goto done;
    }
    for (size_t k = 0; k < 2 * npairs; k++)
        if (pairs[k] < 0 || pairs[k] >= nsets) {
            PyErr_SetString(PyExc_IndexError, "pair index out of range");
            goto done;
        }
    result = PyBytes_FromStringAndSize(NULL, npairs * sizeof(int64_t));
    if (!result) goto done;
    /* sets are normally sorted; copy and sort only when one is not */
    const uint64_t *fs = bf.buf;
    int all_sorted = 1;
    for (Py_ssize_t s = 0; s < nsets && all_sorted; s++) all_sorted = sorted_u64(fs + off[s], off[s + 1] - off[s]);
    if (!all_sorted) {
        f = malloc((nel ? nel : 1) * sizeof(uint64_t));
        if (!f) {
            Py_CLEAR(result);
            PyErr_NoMemory();
            goto done;
        }
        memcpy(f, bf.buf, nel * sizeof(uint64_t));
        for (Py_ssize_t s = 0; s < nsets; s++) sort_u64(f + off[s], off[s + 1] - off[s]);
        fs = f;
    }
    int64_t *inter = (int64_t *)PyBytes_AS_STRING(result);
    Py_BEGIN_ALLOW_THREADS
    for (size_t k = 0; k < npairs; k++) {
        const uint64_t *a = fs + off[pairs[2 * k]], *ae = fs + off[pairs[2 * k] + 1];
        const uint64_t *b = fs + off[pairs[2 * k + 1]], *be = fs + off[pairs[2 * k + 1] + 1];
        int64_t c = 0;
        while (a < ae && b < be) {
            if (*a < *b)
                a++;
            else if (*b < *a)
                b++;
            else {
                c++;
                a++;
                b++;
            }
        }
        inter[k] = c;
    }
    Py_END_ALLOW_THREADS
done:
    free(f);
    release_buffers(bufs, 3);
    return result;
}

/* ------------------------------------------------------------------ LSH */

/* lsh.candidate_pairs: every pair sharing a band (bands x rows of the
 * signature folded into one 64-bit key); in a bucket of more than
 * max_bucket members each member is paired with the next max_bucket - 1
 * (in index order) only.  Returns the sorted, distinct pairs. */
static PyObject *band_pairs(PyObject *self, PyObject *args)
{
    PyObject *osig;
    Py_ssize_t nsets, width;
    int bands, rows, max_bucket;
    if (!PyArg_ParseTuple(args, "Onniii", &osig, &nsets, &width, &bands, &rows, &max_bucket)) return NULL;
    Py_buffer bs;
    if (get_buffer(osig, &bs, 4, "signatures") < 0) return NULL;
    PyObject *result = NULL;
    kv *keys = NULL, *sorted = NULL;
    size_t *dir = NULL, *fill = NULL;
    vec64 codes = {0};
    int oom = 0;
    if (nsets < 0 || width < (Py_ssize_t)bands * rows || bs.len / 4 != nsets * width || bands < 1 || rows < 1) {
        PyErr_SetString(PyExc_ValueError, "signature matrix and bands x rows do not agree");
        goto done;
    }
    const uint32_t *sig = bs.buf;
    size_t n = (size_t)nsets;
    int bits = bucket_bits(n), shift = 64 - bits;
    size_t nb = (size_t)1 << bits;
    Py_BEGIN_ALLOW_THREADS
    keys = malloc((n ? n : 1) * sizeof(kv));
    sorted = malloc((n ? n : 1) * sizeof(kv));
    dir = malloc((nb + 1) * sizeof(size_t));
    fill = malloc(nb * sizeof(size_t));
    if (!keys || !sorted || !dir || !fill) {
        oom = 1;
        goto unlock;
    }
    for (int band = 0; band < bands && n > 1; band++) {
        memset(dir, 0, (nb + 1) * sizeof(size_t));
        for (size_t i = 0; i < n; i++) {
            uint64_t key = (uint64_t)(band + 1);
            const uint32_t *row = sig + i * width + (size_t)band * rows;
            for (int r = 0; r < rows; r++) key = key * P64 + row[r];
            keys[i].key = key;
            keys[i].val = (int64_t)i;
            /* bucket by mixed key: band keys are not uniform in their top bits */
            dir[(fmix64(key) >> shift) + 1]++;
        }
        for (size_t k = 0; k < nb; k++) dir[k + 1] += dir[k];
        memcpy(fill, dir, nb * sizeof(size_t));
        for (size_t i = 0; i < n; i++) sorted[fill[fmix64(keys[i].key) >> shift]++] = keys[i];
        for (size_t k = 0; k < nb; k++) {
            kv *a = sorted + dir[k];
            size_t m = dir[k + 1] - dir[k];
            if (m < 2) continue;
            sort_kv_small(a, m);
            for (size_t i = 0; i < m;) {
                size_t j = i + 1;
                while (j < m && a[j].key == a[i].key) j++;
                for (size_t p = i; p < j; p++)
                    for (size_t q = p + 1; q < j && q - p < (size_t)max_bucket; q++)
                        if (vpush(&codes, (uint64_t)a[p].val * n + (uint64_t)a[q].val) < 0) {
                            oom = 1;
                            goto unlock;
                        }
                i = j;
            }
        }
    }
    if (codes.n) qsort(codes.a, codes.n, sizeof(uint64_t), cmp_u64);
unlock:
    Py_END_ALLOW_THREADS
    if (oom) {
        PyErr_NoMemory();
        goto done;
    }
    result = pairs_from_codes(&codes, n);
done:
    free(keys);
    free(sorted);
    free(dir);
    free(fill);
    free(codes.a);
    PyBuffer_Release(&bs);
    return result;
}

/* -------------------------------------------------------------- csr_take */

/* The CSR rows `rows` of (values, offsets), in that order. */
static PyObject *csr_take(PyObject *self, PyObject *args)
{
    PyObject *ov, *ooff, *orows;
    if (!PyArg_ParseTuple(args, "OOO", &ov, &ooff, &orows)) return NULL;
    Py_buffer bv, bo, br;
    PyObject *a = NULL, *b = NULL, *result = NULL;
    bufspec bufs[] = {{ov, &bv, 8, "values"}, {ooff, &bo, 8, "offsets"}, {orows, &br, 8, "rows"}};
    if (get_buffers(bufs, 3) < 0) return NULL;
    const uint64_t *v = bv.buf;
    const int64_t *off = bo.buf, *rows = br.buf;
    Py_ssize_t nsets = bo.len / 8 - 1, nrows = br.len / 8;
    if (nsets < 0 || off[nsets] != bv.len / 8) {
        PyErr_SetString(PyExc_ValueError, "values and offsets do not agree");
        goto done;
    }
    int64_t total = 0;
    for (Py_ssize_t k = 0; k < nrows; k++) {
        if (rows[k] < 0 || rows[k] >= nsets) {
            PyErr_SetString(PyExc_IndexError, "row out of range");
            goto done;
        }
        total += off[rows[k] + 1] - off[rows[k]];
    }
    a = PyBytes_FromStringAndSize(NULL, total * 8);
    b = PyBytes_FromStringAndSize(NULL, (nrows + 1) * 8);
    if (!a || !b) goto done;
    uint64_t *o = (uint64_t *)PyBytes_AS_STRING(a);
    int64_t *oo = (int64_t *)PyBytes_AS_STRING(b);
    int64_t pos = 0;
    oo[0] = 0;
    for (Py_ssize_t k = 0; k < nrows; k++) {
        int64_t len = off[rows[k] + 1] - off[rows[k]];
        memcpy(o + pos, v + off[rows[k]], len * 8);
        pos += len;
        oo[k + 1] = pos;
    }
    result = PyTuple_Pack(2, a, b);
done:
    Py_XDECREF(a);
    Py_XDECREF(b);
    release_buffers(bufs, 3);
    return result;
}

/* ------------------------------------------------------------ paragraphs */

static int is_terminal(Py_UCS4 c)
{
    switch (c) {
    case '.': case '?': case '!': case ':': case ';': case '"': case '\'': case ')': case ']':
    case 0x201D: case 0x2019: case 0x2026:
        return 1;
    default:
        return 0;
    }
}

static int cmp_ssize(const void *a, const void *b)
{
    Py_ssize_t x = *(const Py_ssize_t *)a, y = *(const Py_ssize_t *)b;
    return (x > y) - (x < y);
}

/* Append (s, e) trimmed of white space, when not empty. */
static int push_trimmed(PyObject *out, int kind, const void *d, Py_ssize_t s, Py_ssize_t e)
{
    while (s < e && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, d, s))) s++;
    while (e > s && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, d, e - 1))) e--;
    if (s >= e) return 0;
    PyObject *t = Py_BuildValue("(nn)", s, e);
    if (!t) return -1;
    int r = PyList_Append(out, t);
    Py_DECREF(t);
    return r;
}

/* split._plain_paragraphs (paragraph_spans(text, marked=False)), step by
 * step: the shape of every line, regions between lines longer than
 * MAX_WRAP judged wrapped or not, then every line break decided by
 * split._Shape.joins.  The constants are split's MAX_WRAP, SHORT_LINE,
 * WRAP_SLACK; continues_word is split._CONTINUES. */
#define PS_MAX_WRAP 100
#define PS_SHORT_LINE 0.6
#define PS_WRAP_SLACK 3

typedef struct {
    Py_ssize_t s, e, re, st; /* start, end (no "\n"), end after rstrip, first non-space */
    Py_ssize_t len, indent, fw, width, base;
    char blank, lower, row, wrapped, large;
} pline;

static int gap_after(Py_UCS4 p)
{
    if (Py_UNICODE_ISSPACE(p)) return 0;
    switch (p) {
    case '.': case '?': case '!': case ':': case ';': case ',': case '"': case '\'': case 0x201D: case 0x2019:
    case ')': case ']':
        return 0;
    default:
        return 1;
    }
}

/* split._GAP matches in [st, re): two make a table row.  One loop per
 * string kind (typed pointers: this runs over every character). */
#define IS_ROW_KIND(NAME, T)                                                                          \
    static int NAME(const T *d, Py_ssize_t st, Py_ssize_t re)                                         \
    {                                                                                                 \
        int count = 0;                                                                                \
        Py_ssize_t i = st;                                                                            \
        while (i < re) {                                                                              \
            Py_UCS4 c = d[i];                                                                         \
            if (c == ' ' || c == '\t') {                                                              \
                Py_ssize_t k = i + 1;                                                                 \
                while (k < re && (d[k] == ' ' || d[k] == '\t')) k++;                                  \
                if ((k - i >= 2 || c == '\t') && k < re && !Py_UNICODE_ISSPACE(d[k]) &&               \
                    gap_after(d[i - 1]) && ++count >= 2)                                              \
                    return 1;                                                                         \
                i = k;                                                                                \
            } else if (c == '.' && i + 4 < re && d[i + 1] == '.') {                                   \
                Py_ssize_t k = i + 1;                                                                 \
                while (k < re && d[k] == '.') k++;                                                    \
                if (k - i >= 5 && k < re && !Py_UNICODE_ISSPACE(d[k]) && ++count >= 2) return 1;      \
                i = k;                                                                                \
            } else                                                                                    \
                i++;                                                                                  \
        }                                                                                             \
        return 0;                                                                                     \
    }
IS_ROW_KIND(is_row1, Py_UCS1)
IS_ROW_KIND(is_row2, Py_UCS2)
IS_ROW_KIND(is_row4, Py_UCS4)

static int is_row(int kind, const void *d, Py_ssize_t st, Py_ssize_t re)
{
    /* st is not white space, so a run of spaces always has a character before it */
    if (kind == PyUnicode_1BYTE_KIND) {
        /* most lines have no gap at all: a branch-free (vectorised) look
         * for a tab, two spaces or two dots first */
        const Py_UCS1 *p = (const Py_UCS1 *)d;
        int any = 0;
        for (Py_ssize_t i = st; i + 1 < re; i++)
            any |= (p[i] == '\t') | ((p[i] == ' ') & (p[i + 1] == ' ')) | ((p[i] == '.') & (p[i + 1] == '.'));
        return any ? is_row1(p, st, re) : 0;
    }
    if (kind == PyUnicode_2BYTE_KIND) return is_row2((const Py_UCS2 *)d, st, re);
    return is_row4((const Py_UCS4 *)d, st, re);
}

static int all_caps(int kind, const void *d, Py_ssize_t s, Py_ssize_t re)
{
    int upper = 0;
    for (Py_ssize_t i = s; i < re; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, d, i);
        if (c < 128) {
            if (c >= 'a' && c <= 'z') return 0;
            if (c >= 'A' && c <= 'Z') upper = 1;
        } else {
            if (Py_UNICODE_ISLOWER(c)) return 0;
            if (Py_UNICODE_ISUPPER(c)) upper = 1;
        }
    }
    return upper;
}

static const char *continues_words[] = {
    "a", "an", "and", "are", "as", "at", "be", "been", "but", "by", "for", "from", "had", "has", "have",
    "her", "his", "in", "into", "is", "it", "its", "nor", "not", "of", "on", "or", "our", "per", "than",
    "that", "the", "their", "this", "those", "to", "was", "were", "which", "who", "whose", "will", "with",
    "would", NULL};

/* split._goes_on: the line ends with a comma or a word of continues_words. */
static int goes_on(int kind, const void *d, const pline *l)
{
    if (PyUnicode_READ(kind, d, l->re - 1) == ',') return 1;
    Py_ssize_t k = l->re;
    while (k > l->st && !Py_UNICODE_ISSPACE(PyUnicode_READ(kind, d, k - 1))) k--;
    Py_ssize_t n = l->re - k;
    if (n > 6) return 0;
    for (const char **w = continues_words; *w; w++) {
        if ((Py_ssize_t)strlen(*w) != n) continue;
        Py_ssize_t i = 0;
        while (i < n && PyUnicode_READ(kind, d, k + i) == (Py_UCS4)(unsigned char)(*w)[i]) i++;
        if (i == n) return 1;
    }
    return 0;
}

static int ps_fits(const pline *L, Py_ssize_t j)
{
    Py_ssize_t w = L[j].width < L[j + 1].len ? L[j].width : L[j + 1].len;
    return L[j].len + 1 + L[j + 1].fw + PS_WRAP_SLACK <= w;
}

/* split._starts_lower: the first letter after opening marks is lower case */
static int starts_lower(int kind, const void *d, Py_ssize_t st, Py_ssize_t re)
{
    while (st < re) {
        Py_UCS4 c = PyUnicode_READ(kind, d, st);
        if (c != '"' && c != '\'' && c != 0x201C && c != 0x2018 && c != '(' && c != '[' && c != 0xAB) break;
        st++;
    }
    return st < re && Py_UNICODE_ISLOWER(PyUnicode_READ(kind, d, st));
}

static int ps_short(const pline *L, Py_ssize_t j)
{
    return (double)L[j].len < (double)L[j].width * PS_SHORT_LINE;
}

static int ps_terminal(int kind, const void *d, const pline *l)
{
    return is_terminal(PyUnicode_READ(kind, d, l->re - 1));
}

/* split._Shape.heading */
static int ps_heading(int kind, const void *d, const pline *L, Py_ssize_t j)
{
    if (!L[j].large) return ps_fits(L, j);
    if (ps_short(L, j)) return 1;
    if (L[j].indent > L[j].base || !ps_fits(L, j)) return 0;
    return j == 0 || L[j - 1].blank || ps_terminal(kind, d, &L[j - 1]);
}

/* split._Shape.joins */
static int ps_joins(int kind, const void *d, const pline *L, Py_ssize_t n, Py_ssize_t first, Py_ssize_t lede,
                    Py_ssize_t j)
{
    const pline *a = &L[j], *b = &L[j + 1];
    if (a->row || b->row) return 0;
    int wrapped = a->wrapped && a->len <= PS_MAX_WRAP && b->len <= PS_MAX_WRAP;
    if (wrapped && b->indent > a->base) return 0;
    if (b->lower) return 1;
    int is_open = !ps_terminal(kind, d, a);
    if (!wrapped) return a->len <= PS_MAX_WRAP && b->indent <= a->indent && is_open && goes_on(kind, d, a);
    if (all_caps(kind, d, a->s, a->re) && !all_caps(kind, d, b->s, b->re)) return 0;
    if (j == first || j == lede) return 1;
    if (is_open) return goes_on(kind, d, a) || !ps_heading(kind, d, L, j);
    if (a->large ? ps_short(L, j) : ps_fits(L, j)) return 0;
    if (!ps_terminal(kind, d, b)) {
        Py_ssize_t after = j + 2;
        if (after >= n || L[after].blank) return !ps_short(L, j + 1);
        if (!L[after].lower && !L[after].row && ps_heading(kind, d, L, j + 1)) return 0;
    }
    return 1;
}

/* Index of the first "\n" in [i, n), or n. */
static Py_ssize_t next_newline(int kind, const void *d, Py_ssize_t i, Py_ssize_t n)
{
    if (i >= n) return n;
    if (kind == PyUnicode_1BYTE_KIND) {
        const Py_UCS1 *p = memchr((const Py_UCS1 *)d + i, '\n', (size_t)(n - i));
        return p ? p - (const Py_UCS1 *)d : n;
    }
    while (i < n && PyUnicode_READ(kind, d, i) != '\n') i++;
    return i;
}

static PyObject *paragraph_spans_plain(PyObject *self, PyObject *text)
{
    if (ready(text) < 0) return NULL;
    int kind = PyUnicode_KIND(text);
    const void *d = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    Py_ssize_t nlines = 1;
    for (Py_ssize_t i = next_newline(kind, d, 0, n); i < n; i = next_newline(kind, d, i + 1, n)) nlines++;
    pline *L = calloc(nlines, sizeof(pline));
    Py_ssize_t *lengths = malloc(nlines * sizeof(Py_ssize_t));
    PyObject *out = NULL;
    if (!L || !lengths) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t k = 0, pos = 0, first = -1;
    for (Py_ssize_t i = next_newline(kind, d, 0, n); k < nlines; i = next_newline(kind, d, i + 1, n)) {
        {
            pline *l = &L[k];
            Py_ssize_t re = i, st = pos;
            while (re > pos && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, d, re - 1))) re--;
            while (st < re && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, d, st))) st++;
            l->s = pos;
            l->e = i;
            l->re = re;
            l->st = st;
            l->blank = st >= re;
            if (!l->blank) {
                l->len = re - pos;
                l->indent = st - pos;
                l->lower = (char)starts_lower(kind, d, st, re);
                Py_ssize_t w = st;
                while (w < re && !Py_UNICODE_ISSPACE(PyUnicode_READ(kind, d, w))) w++;
                l->fw = w - st;
                l->row = (char)is_row(kind, d, st, re);
                if (first < 0) first = k;
            }
            k++;
            pos = i + 1;
        }
    }
    /* the lede's first line when the first line stands apart (a title) */
    Py_ssize_t lede = -1;
    if (first >= 0 && first + 1 < nlines && L[first + 1].blank) {
        Py_ssize_t k2 = first + 1;
        while (k2 < nlines && L[k2].blank) k2++;
        if (k2 < nlines) lede = k2;
    }
    /* regions between long lines */
    for (Py_ssize_t j = 0; j < nlines;) {
        if (L[j].len > PS_MAX_WRAP) {
            j++;
            continue;
        }
        Py_ssize_t e = j;
        while (e < nlines && L[e].len <= PS_MAX_WRAP) e++;
        Py_ssize_t followed = 0, open_ends = 0, prev = -1, least = -1, longest = 0;
        for (Py_ssize_t t = j; t < e; t++) {
            if (L[t].blank) {
                prev = -1;
                continue;
            }
            if (least < 0 || L[t].indent < least) least = L[t].indent;
            if (L[t].row) {
                prev = -1;
                continue;
            }
            if (L[t].len > longest) longest = L[t].len;
            if (prev >= 0) {
                lengths[followed++] = L[prev].len;
                if (!ps_terminal(kind, d, &L[prev]) || L[t].lower) open_ends++;
            }
            prev = t;
        }
        int large = followed >= 3, wrapped;
        Py_ssize_t w;
        if (large) {
            qsort(lengths, followed, sizeof(Py_ssize_t), cmp_ssize);
            w = lengths[(Py_ssize_t)(followed * 0.9)];
            wrapped = (double)open_ends / (double)followed >= 0.4 && open_ends >= 2 && w >= 30;
        } else {
            w = longest;
            wrapped = open_ends >= 1 && w >= 30;
        }
        for (Py_ssize_t t = j; t < e; t++) {
            L[t].wrapped = (char)wrapped;
            L[t].large = (char)large;
            L[t].width = w;
            L[t].base = least > 0 ? least : 0;
        }
        j = e;
    }
    out = PyList_New(0);
    if (!out) goto done;
    Py_ssize_t cur_start = -1;
    for (Py_ssize_t j = 0; j < nlines; j++) {
        if (L[j].blank) {
            if (cur_start >= 0) {
                if (push_trimmed(out, kind, d, cur_start, L[j].s) < 0) goto fail;
                cur_start = -1;
            }
            continue;
        }
        if (cur_start < 0) cur_start = L[j].s;
        if (j + 1 < nlines && !L[j + 1].blank && !ps_joins(kind, d, L, nlines, first, lede, j)) {
            if (push_trimmed(out, kind, d, cur_start, L[j].e) < 0) goto fail;
            cur_start = -1;
        }
    }
    if (cur_start >= 0 && push_trimmed(out, kind, d, cur_start, n) < 0) goto fail;
    goto done;
fail:
    Py_CLEAR(out);
done:
    free(L);
    free(lengths);
    return out;
}

/* ----------------------------------------------------------------- units */

/* units._INNER_BOUNDARY: [.?!], optional closing quotes/brackets, white
 * space, all inside [s, e). */
static int has_boundary(int kind, const void *d, Py_ssize_t s, Py_ssize_t e)
{
    for (Py_ssize_t i = s; i < e; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, d, i);
        if (c != '.' && c != '?' && c != '!') continue;
        Py_ssize_t j = i + 1;
        while (j < e) {
            Py_UCS4 q = PyUnicode_READ(kind, d, j);
            if (q == '"' || q == '\'' || q == 0x201D || q == 0x2019 || q == ')' || q == ']' || q == '}' || q == 0xBB)
                j++;
            else
                break;
        }
        if (j < e && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, d, j))) return 1;
    }
    return 0;
}

/* boundary_flags(text, paras) -> bytes: 1 where a paragraph may hold a
 * sentence break (and so needs Punkt). */
static PyObject *boundary_flags(PyObject *self, PyObject *args)
{
    PyObject *text, *paras;
    if (!PyArg_ParseTuple(args, "UO!", &text, &PyList_Type, &paras)) return NULL;
    if (ready(text) < 0) return NULL;
    Py_ssize_t np_ = PyList_GET_SIZE(paras), len = PyUnicode_GET_LENGTH(text);
    PyObject *out = PyBytes_FromStringAndSize(NULL, np_);
    if (!out) return NULL;
    char *o = PyBytes_AS_STRING(out);
    int kind = PyUnicode_KIND(text);
    const void *d = PyUnicode_DATA(text);
    for (Py_ssize_t k = 0; k < np_; k++) {
        Py_ssize_t s, e;
        if (!PyArg_ParseTuple(PyList_GET_ITEM(paras, k), "nn", &s, &e)) {
            Py_DECREF(out);
            return NULL;
        }
        clamp(len, &s, &e);
        o[k] = (char)has_boundary(kind, d, s, e);
    }
    return out;
}

/* quotes.quote_spans over text[start:end]; calls emit(s, e) per quote. */
static int quote_closer(Py_UCS4 opener)
{
    switch (opener) {
    case 0x201C: return 0x201D;
    case 0xAB: return 0xBB;
    case 0x201E: return 0x201C;
    case 0x2018: return 0x2019;
    default: return -1;
    }
}

static Py_ssize_t find_char(int kind, const void *d, Py_UCS4 c, Py_ssize_t s, Py_ssize_t e)
{
    for (Py_ssize_t i = s; i < e; i++)
        if (PyUnicode_READ(kind, d, i) == c) return i;
    return -1;
}

static int quote_spans_c(int kind, const void *d, Py_ssize_t len, Py_ssize_t start, Py_ssize_t end, vec64 *out)
{
    Py_ssize_t i = start;
    while (i < end) {
        Py_ssize_t m = -1;
        for (Py_ssize_t j = i; j < end; j++) {
            Py_UCS4 c = PyUnicode_READ(kind, d, j);
            if (c == '"' || c == 0x201C || c == 0xAB || c == 0x201E || c == 0x2018) {
                m = j;
                break;
            }
        }
        if (m < 0) return 0;
        i = m;
        Py_UCS4 ch = PyUnicode_READ(kind, d, i);
        Py_ssize_t close;
        if (ch == '"')
            close = find_char(kind, d, '"', i + 1, end);
        else {
            if (ch == 0x2018 && i > start) {
                Py_UCS4 p = PyUnicode_READ(kind, d, i - 1);
                if (!(Py_UNICODE_ISSPACE(p) || p == '(' || p == 0x2014 || p == 0x2013 || p == '-' || p == 0x201C)) {
                    i++;
                    continue;
                }
            }
            Py_UCS4 closer = (Py_UCS4)quote_closer(ch);
            Py_ssize_t pos = i + 1;
            for (;;) {
                close = find_char(kind, d, closer, pos, end);
                if (close < 0 || ch != 0x2018) break;
                Py_UCS4 nxt = close + 1 < len ? PyUnicode_READ(kind, d, close + 1) : ' ';
                if (!Py_UNICODE_ISALPHA(nxt)) break;
                pos = close + 1;
            }
        }
        Py_ssize_t q_end = close != -1 ? close : end;
        Py_ssize_t s = i + 1, e = q_end;
        while (s < e && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, d, s))) s++;
        while (e > s && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, d, e - 1))) e--;
        if (s < e && (vpush(out, s) < 0 || vpush(out, e) < 0)) return -1;
        i = q_end + 1;
    }
    return 0;
}

static Py_ssize_t count_range(PyObject *low, Py_ssize_t s, Py_ssize_t e)
{
    int kind = PyUnicode_KIND(low);
    const void *data = PyUnicode_DATA(low);
    clamp(PyUnicode_GET_LENGTH(low), &s, &e);
    Py_ssize_t i = s, ts, te, n = 0;
    while (next_token(kind, data, &i, e, &ts, &te)) n++;
    return n;
}

/* paragraph_units(text, low, paras, punkt, min_words, want_quotes)
 *   -> (sentences, bytes of int64 (kind, start, end) triples)
 * For each paragraph (start, end): its sentences are punkt[k] (a list of
 * (start, end)) or, when punkt[k] is None, the whole paragraph; then, with
 * want_quotes, its quotations.  Units with at least min_words tokens in
 * `low` (the lower-cased normalised text, same length as text) are kept, in
 * that order: what units.extract_units does before suppression and
 * boilerplate. */
static PyObject *paragraph_units(PyObject *self, PyObject *args)
{
    PyObject *text, *low, *paras, *punkt;
    int min_words, want_quotes;
    if (!PyArg_ParseTuple(args, "UUO!O!ip", &text, &low, &PyList_Type, &paras, &PyList_Type, &punkt, &min_words,
                          &want_quotes))
        return NULL;
    if (ready(text) < 0 || ready(low) < 0) return NULL;
    Py_ssize_t np_ = PyList_GET_SIZE(paras), len = PyUnicode_GET_LENGTH(text);
    if (PyList_GET_SIZE(punkt) != np_ || PyUnicode_GET_LENGTH(low) != len) {
        PyErr_SetString(PyExc_ValueError, "paras, punkt, text and low do not agree");
        return NULL;
    }
    int kind = PyUnicode_KIND(text);
    const void *d = PyUnicode_DATA(text);
    vec64 out = {0}, quotes = {0};
    Py_ssize_t sentences = 0;
    PyObject *result = NULL;
    for (Py_ssize_t k = 0; k < np_; k++) {
        Py_ssize_t ps, pe;
        if (!PyArg_ParseTuple(PyList_GET_ITEM(paras, k), "nn", &ps, &pe)) goto done;
        clamp(len, &ps, &pe);
        PyObject *sp = PyList_GET_ITEM(punkt, k);
        if (sp == Py_None) {
            sentences++;
            if (count_range(low, ps, pe) >= min_words &&
                (vpush(&out, 0) < 0 || vpush(&out, ps) < 0 || vpush(&out, pe) < 0))
                goto nomem;
        } else {
            if (!PyList_Check(sp)) {
                PyErr_SetString(PyExc_TypeError, "punkt entries must be lists or None");
                goto done;
            }
            Py_ssize_t ns = PyList_GET_SIZE(sp);
            sentences += ns;
            for (Py_ssize_t j = 0; j < ns; j++) {
                Py_ssize_t s, e;
                if (!PyArg_ParseTuple(PyList_GET_ITEM(sp, j), "nn", &s, &e)) goto done;
                if (count_range(low, s, e) >= min_words &&
                    (vpush(&out, 0) < 0 || vpush(&out, s) < 0 || vpush(&out, e) < 0))
                    goto nomem;
            }
        }
        if (want_quotes) {
            quotes.n = 0;
            if (quote_spans_c(kind, d, len, ps, pe, &quotes) < 0) goto nomem;
            for (size_t j = 0; j < quotes.n; j += 2)
                if (count_range(low, quotes.a[j], quotes.a[j + 1]) >= min_words &&
                    (vpush(&out, 1) < 0 || vpush(&out, quotes.a[j]) < 0 || vpush(&out, quotes.a[j + 1]) < 0))
                    goto nomem;
        }
    }
    {
        PyObject *b = PyBytes_FromStringAndSize((const char *)out.a, out.n * sizeof(int64_t));
        if (b) {
            result = Py_BuildValue("(nN)", sentences, b);
        }
    }
    goto done;
nomem:
    PyErr_NoMemory();
done:
    free(out.a);
    free(quotes.a);
    return result;
}

/* quote_spans(text, start, end) -> [(s, e)]: quotes.quote_spans, compiled. */
static PyObject *py_quote_spans(PyObject *self, PyObject *args)
{
    PyObject *text;
    Py_ssize_t s, e;
    if (!PyArg_ParseTuple(args, "Unn", &text, &s, &e)) return NULL;
    if (ready(text) < 0) return NULL;
    Py_ssize_t len = PyUnicode_GET_LENGTH(text);
    clamp(len, &s, &e);
    vec64 q = {0};
    if (quote_spans_c(PyUnicode_KIND(text), PyUnicode_DATA(text), len, s, e, &q) < 0) {
        free(q.a);
        return PyErr_NoMemory();
    }
    PyObject *out = PyList_New(q.n / 2);
    for (size_t j = 0; out && j < q.n; j += 2) {
        PyObject *t = Py_BuildValue("(LL)", (long long)q.a[j], (long long)q.a[j + 1]);
        if (!t) {
            Py_CLEAR(out);
            break;
        }
        PyList_SET_ITEM(out, j / 2, t);
    }
    free(q.a);
    return out;
}

/* --------------------------------------------------------------- minhash */

/* Signatures of many sets: for set i and permutation k, the minimum over the
 * set's (already fmix32-ed) hashes x of a[k] * x + b[k] mod 2**32. */
static PyObject *minhash32(PyObject *self, PyObject *args)
{
    PyObject *ox, *ooff, *oa, *ob;
    if (!PyArg_ParseTuple(args, "OOOO", &ox, &ooff, &oa, &ob)) return NULL;
    Py_buffer bx, bo, ba, bb;
    PyObject *result = NULL;
    bufspec bufs[] = {{ox, &bx, 4, "hashes"}, {ooff, &bo, 8, "offsets"}, {oa, &ba, 4, "a"}, {ob, &bb, 4, "b"}};
    if (get_buffers(bufs, 4) < 0) return NULL;
    const uint32_t *x = bx.buf, *a = ba.buf, *b = bb.buf;
    const int64_t *off = bo.buf;
    Py_ssize_t nsets = bo.len / 8 - 1, np_ = ba.len / 4, nx = bx.len / 4;
    if (bb.len / 4 != np_ || nsets < 0 || off[nsets] != nx || np_ == 0) {
        PyErr_SetString(PyExc_ValueError, "hashes, offsets, a and b do not agree");
        goto done;
    }
    for (Py_ssize_t s = 0; s < nsets; s++)
        if (off[s + 1] <= off[s]) {
            PyErr_SetString(PyExc_ValueError, "every set needs at least one element");
            goto done;
        }
    result = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)nsets * np_ * 4);
    if (!result) goto done;
    uint32_t *out = (uint32_t *)PyBytes_AS_STRING(result);
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t s = 0; s < nsets; s++) {
        uint32_t *o = out + s * np_;
        for (Py_ssize_t k = 0; k < np_; k++) o[k] = 0xFFFFFFFFu;
        for (int64_t i = off[s]; i < off[s + 1]; i++) {
            uint32_t v = x[i];
            for (Py_ssize_t k = 0; k < np_; k++) {
                uint32_t h = a[k] * v + b[k];
                o[k] = h < o[k] ? h : o[k];
            }
        }
    }
    Py_END_ALLOW_THREADS
done:
    release_buffers(bufs, 4);
    return result;
}

/* ---------------------------------------------------------------- module */


/* ------------------------------------------------------------ sentence embedding */

/* split_words(texts) -> (counts, ids, first): the white-space words of each
 * text (exactly str.split(): runs of Py_UNICODE_ISSPACE), each given the id of
 * its distinct word in order of first appearance.  counts: int64 per text;
 * ids: int64 per word; first: int64 triples (text, start, end) of each distinct
 * word's first occurrence.  Words are told apart by a 64-bit hash of their
 * code points and length, checked against the first occurrence on a match. */
typedef struct {
    uint64_t h;
    int64_t id;
} hslot;

static int same_word(PyObject *ta, Py_ssize_t sa, PyObject *tb, Py_ssize_t sb, Py_ssize_t len)
{
    int ka = PyUnicode_KIND(ta), kb = PyUnicode_KIND(tb);
    const void *da = PyUnicode_DATA(ta), *db = PyUnicode_DATA(tb);
    for (Py_ssize_t i = 0; i < len; i++)
        if (PyUnicode_READ(ka, da, sa + i) != PyUnicode_READ(kb, db, sb + i)) return 0;
    return 1;
}

static PyObject *split_words(PyObject *self, PyObject *arg)
{
    PyObject *seq = PySequence_Fast(arg, "split_words: a sequence of str expected");
    if (!seq) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject **items = PySequence_Fast_ITEMS(seq);
    PyObject *counts = NULL, *result = NULL, *ob_ids = NULL, *ob_first = NULL;
    vec64 ids = {0}, first = {0};
    hslot *tab = NULL;
    size_t cap = 1 << 16, used = 0;
    tab = calloc(cap, sizeof(hslot));
    counts = PyBytes_FromStringAndSize(NULL, n * 8);
    if (!tab || !counts) {
        PyErr_NoMemory();
        goto done;
    }
    int64_t *cnt = (int64_t *)PyBytes_AS_STRING(counts);
    for (Py_ssize_t t = 0; t < n; t++) {
        PyObject *s = items[t];
        if (!PyUnicode_Check(s)) {
            PyErr_SetString(PyExc_TypeError, "split_words: a sequence of str expected");
            goto done;
        }
        int kind = PyUnicode_KIND(s);
        const void *d = PyUnicode_DATA(s);
        Py_ssize_t len = PyUnicode_GET_LENGTH(s), i = 0;
        int64_t c = 0;
        while (i < len) {
            while (i < len && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, d, i))) i++;
            if (i >= len) break;
            Py_ssize_t st = i;
            uint64_t h = 0xcbf29ce484222325ULL;
            while (i < len) {
                Py_UCS4 ch = PyUnicode_READ(kind, d, i);
                if (Py_UNICODE_ISSPACE(ch)) break;
                h = (h ^ ch) * 0x100000001b3ULL;
                i++;
            }
            h = fmix64(h ^ (uint64_t)(i - st));
            if (2 * (used + 1) > cap) { /* keep the table at most half full */
                size_t nc = cap * 2;
                hslot *nt = calloc(nc, sizeof(hslot));
                if (!nt) {
                    PyErr_NoMemory();
                    goto done;
                }
                for (size_t k = 0; k < cap; k++)
                    if (tab[k].id) {
                        size_t j = tab[k].h & (nc - 1);
                        while (nt[j].id) j = (j + 1) & (nc - 1);
                        nt[j] = tab[k];
                    }
                free(tab);
                tab = nt;
                cap = nc;
            }
            size_t j = h & (cap - 1);
            int64_t id = -1;
            while (tab[j].id) { /* ids are stored plus one: 0 marks an empty slot */
                if (tab[j].h == h) {
                    int64_t cand = tab[j].id - 1;
                    const uint64_t *f = first.a + 3 * cand;
                    if ((Py_ssize_t)(f[2] - f[1]) == i - st && same_word(items[f[0]], (Py_ssize_t)f[1], s, st, i - st)) {
                        id = cand;
                        break;
                    }
                }
                j = (j + 1) & (cap - 1);
            }
            if (id < 0) {
                id = (int64_t)used++;
                tab[j].h = h;
                tab[j].id = id + 1;
                if (vpush(&first, (uint64_t)t) < 0 || vpush(&first, (uint64_t)st) < 0 || vpush(&first, (uint64_t)i) < 0) {
                    PyErr_NoMemory();
                    goto done;
                }
            }
            if (vpush(&ids, (uint64_t)id) < 0) {
                PyErr_NoMemory();
                goto done;
            }
            c++;
        }
        cnt[t] = c;
    }
    ob_ids = PyBytes_FromStringAndSize((const char *)ids.a, ids.n * 8);
    ob_first = PyBytes_FromStringAndSize((const char *)first.a, first.n * 8);
    if (ob_ids && ob_first) result = PyTuple_Pack(3, counts, ob_ids, ob_first);
done:
    Py_XDECREF(ob_ids);
    Py_XDECREF(ob_first);
    Py_XDECREF(counts);
    free(tab);
    free(ids.a);
    free(first.a);
    Py_DECREF(seq);
    return result;
}

/* pool_rows(table, dim, rows, counts, unit) -> bytes of float32 (len(counts) x dim):
 * per segment, the sum of table[rows[k]] over its rows (segments are runs of
 * rows, counts[s] long), scaled to unit length if unit (a zero sum stays zero).
 * table: float32 (V x dim); rows: int64 in [0, V). */
static PyObject *pool_rows(PyObject *self, PyObject *args)
{
    PyObject *otab, *orows, *ocnt;
    Py_ssize_t dim;
    int unit;
    if (!PyArg_ParseTuple(args, "OnOOp", &otab, &dim, &orows, &ocnt, &unit)) return NULL;
    Py_buffer bt, br, bc;
    PyObject *result = NULL;
    bufspec bufs[] = {{otab, &bt, 4, "table"}, {orows, &br, 8, "rows"}, {ocnt, &bc, 8, "counts"}};
    if (get_buffers(bufs, 3) < 0) return NULL;
    const float *tab = bt.buf;
    const int64_t *rows = br.buf, *cnt = bc.buf;
    Py_ssize_t nrows = br.len / 8, nseg = bc.len / 8;
    Py_ssize_t vocab = dim > 0 ? bt.len / 4 / dim : 0;
    if (dim <= 0 || vocab * dim * 4 != bt.len) {
        PyErr_SetString(PyExc_ValueError, "pool_rows: table is not rows of dim float32");
        goto done;
    }
    int64_t total = 0;
    for (Py_ssize_t s = 0; s < nseg; s++) {
        if (cnt[s] < 0) break;
        total += cnt[s];
    }
    if (total != nrows) {
        PyErr_SetString(PyExc_ValueError, "pool_rows: counts do not add up to the rows");
        goto done;
    }
    for (Py_ssize_t k = 0; k < nrows; k++)
        if (rows[k] < 0 || rows[k] >= vocab) {
            PyErr_SetString(PyExc_IndexError, "pool_rows: row out of range");
            goto done;
        }
    result = PyBytes_FromStringAndSize(NULL, nseg * dim * 4);
    if (!result) goto done;
    float *out = (float *)PyBytes_AS_STRING(result);
    memset(out, 0, nseg * dim * 4);
    Py_BEGIN_ALLOW_THREADS
    const int64_t *r = rows;
    for (Py_ssize_t s = 0; s < nseg; s++) {
        float *o = out + s * dim;
        for (int64_t k = 0; k < cnt[s]; k++, r++) {
            const float *v = tab + *r * dim;
            for (Py_ssize_t x = 0; x < dim; x++) o[x] += v[x];
        }
        if (unit) {
            double ss = 0;
            for (Py_ssize_t x = 0; x < dim; x++) ss += (double)o[x] * o[x];
            if (ss > 0) {
                float inv = (float)(1.0 / sqrt(ss));
                for (Py_ssize_t x = 0; x < dim; x++) o[x] *= inv;
            }
        }
    }
    Py_END_ALLOW_THREADS
done:
    release_buffers(bufs, 3);
    return result;
}


/* ------------------------------------------------------ word alignment */

/* matching_blocks(a, b) -> [(i, j, size), ...]: exactly
 * [m for m in difflib.SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks() if m.size]
 * for two sequences of hashable items (word tokens).  Items are mapped to ids by hash and equality
 * (as difflib's b2j dict does); find_longest_match is difflib's dynamic programme over the positions of
 * each a item in b, its dicts replaced by two stamped arrays (same visiting order, same ties: the
 * longest block, earliest in a, then earliest in b).  Without junk, difflib's extension loops never
 * extend a block, so they are left out. */
typedef struct {
    Py_ssize_t la, lb;
    const Py_ssize_t *ida;   /* id of each a item, -1 when b has none */
    const Py_ssize_t *pstart; /* positions in b of id v: pos[pstart[v]:pstart[v+1]], ascending */
    const Py_ssize_t *pos;
    Py_ssize_t *len0, *len1;
    uint64_t *st0, *st1;
    uint64_t stamp;
} mbctx;

static void mb_longest(mbctx *c, Py_ssize_t alo, Py_ssize_t ahi, Py_ssize_t blo, Py_ssize_t bhi,
                       Py_ssize_t *bi, Py_ssize_t *bj, Py_ssize_t *bk)
{
    Py_ssize_t besti = alo, bestj = blo, bestsize = 0;
    Py_ssize_t *plen = c->len0, *clen = c->len1;
    uint64_t *pst = c->st0, *cst = c->st1;
    uint64_t prev = ++c->stamp; /* nothing carries this stamp: the first row has no predecessor */
    for (Py_ssize_t i = alo; i < ahi; i++) {
        uint64_t cur = ++c->stamp;
        Py_ssize_t v = c->ida[i];
        if (v >= 0) {
            for (Py_ssize_t q = c->pstart[v]; q < c->pstart[v + 1]; q++) {
                Py_ssize_t j = c->pos[q];
                if (j < blo) continue;
                if (j >= bhi) break;
                Py_ssize_t k = (j > 0 && pst[j - 1] == prev) ? plen[j - 1] + 1 : 1;
                clen[j] = k;
                cst[j] = cur;
                if (k > bestsize) {
                    besti = i - k + 1;
                    bestj = j - k + 1;
                    bestsize = k;
                }
            }
        }
        Py_ssize_t *tl = plen; plen = clen; clen = tl;
        uint64_t *ts = pst; pst = cst; cst = ts;
        prev = cur;
    }
    *bi = besti;
    *bj = bestj;
    *bk = bestsize;
}

static int cmp_block(const void *x, const void *y)
{
    const Py_ssize_t *p = x, *q = y;
    return (p[0] > q[0]) - (p[0] < q[0]);
}

static PyObject *matching_blocks(PyObject *self, PyObject *args)
{
    PyObject *oa, *ob;
    if (!PyArg_ParseTuple(args, "OO", &oa, &ob)) return NULL;
    PyObject *fa = PySequence_Fast(oa, "matching_blocks: a must be a sequence");
    if (!fa) return NULL;
    PyObject *fb = PySequence_Fast(ob, "matching_blocks: b must be a sequence");
    if (!fb) {
        Py_DECREF(fa);
        return NULL;
    }
    PyObject *result = NULL;
    Py_ssize_t la = PySequence_Fast_GET_SIZE(fa), lb = PySequence_Fast_GET_SIZE(fb);
    PyObject **ia = PySequence_Fast_ITEMS(fa), **ib = PySequence_Fast_ITEMS(fb);
    size_t cap = 4;
    while (cap < 2 * (size_t)lb + 2) cap <<= 1;
    /* one allocation: table keys, hashes and ids; ids of a; b's ids, counts and positions; the DP rows;
       the block stack and list */
    size_t n_ssize = cap /* tid */ + (size_t)la + (size_t)lb /* idb */ + (size_t)lb + 2 /* pstart */ +
                     (size_t)lb /* pos */ + 2 * ((size_t)lb + 1) /* len0, len1 */ +
                     4 * ((size_t)la + 1) /* stack */ + 3 * ((size_t)la + 1) /* blocks */;
    size_t bytes = cap * sizeof(PyObject *) + cap * sizeof(Py_hash_t) + n_ssize * sizeof(Py_ssize_t) +
                   2 * ((size_t)lb + 1) * sizeof(uint64_t);
    char *mem = calloc(1, bytes);
    if (!mem) {
        PyErr_NoMemory();
        goto done;
    }
    PyObject **tkey = (PyObject **)mem;
    Py_hash_t *thash = (Py_hash_t *)(tkey + cap);
    uint64_t *st0 = (uint64_t *)(thash + cap), *st1 = st0 + lb + 1;
    Py_ssize_t *tid = (Py_ssize_t *)(st1 + lb + 1);
    Py_ssize_t *ida = tid + cap, *idb = ida + la, *pstart = idb + lb, *pos = pstart + lb + 2;
    Py_ssize_t *len0 = pos + lb, *len1 = len0 + lb + 1, *stack = len1 + lb + 1, *blocks = stack + 4 * (la + 1);
    Py_ssize_t nid = 0;
    /* ids of b's items, in order of first occurrence */
    for (Py_ssize_t j = 0; j < lb; j++) {
        PyObject *x = ib[j];
        Py_hash_t h = PyObject_Hash(x);
        if (h == -1) goto done;
        size_t s = (size_t)h & (cap - 1);
        for (;;) {
            if (!tkey[s]) {
                tkey[s] = x;
                thash[s] = h;
                tid[s] = nid;
                idb[j] = nid++;
                break;
            }
            if (thash[s] == h) {
                int eq = tkey[s] == x ? 1 : PyObject_RichCompareBool(tkey[s], x, Py_EQ);
                if (eq < 0) goto done;
                if (eq) {
                    idb[j] = tid[s];
                    break;
                }
            }
            s = (s + 1) & (cap - 1);
        }
    }
    for (Py_ssize_t i = 0; i < la; i++) {
        PyObject *x = ia[i];
        Py_hash_t h = PyObject_Hash(x);
        if (h == -1) goto done;
        size_t s = (size_t)h & (cap - 1);
        ida[i] = -1;
        while (tkey[s]) {
            if (thash[s] == h) {
                int eq = tkey[s] == x ? 1 : PyObject_RichCompareBool(tkey[s], x, Py_EQ);
                if (eq < 0) goto done;
                if (eq) {
                    ida[i] = tid[s];
                    break;
                }
            }
            s = (s + 1) & (cap - 1);
        }
    }
    /* positions of each id in b, ascending (counting sort) */
    for (Py_ssize_t j = 0; j < lb; j++) pstart[idb[j] + 1]++;
    for (Py_ssize_t v = 0; v < nid; v++) pstart[v + 1] += pstart[v];
    {
        Py_ssize_t *fill = len0; /* scratch before the DP uses it */
        for (Py_ssize_t v = 0; v < nid; v++) fill[v] = pstart[v];
        for (Py_ssize_t j = 0; j < lb; j++) pos[fill[idb[j]]++] = j;
        memset(len0, 0, (lb + 1) * sizeof(Py_ssize_t));
    }
    mbctx c = {la, lb, ida, pstart, pos, len0, len1, st0, st1, 0};
    Py_ssize_t top = 0, nb = 0;
    stack[0] = 0, stack[1] = la, stack[2] = 0, stack[3] = lb;
    top = 1;
    while (top) {
        top--;
        Py_ssize_t alo = stack[4 * top], ahi = stack[4 * top + 1], blo = stack[4 * top + 2], bhi = stack[4 * top + 3];
        Py_ssize_t i, j, k;
        mb_longest(&c, alo, ahi, blo, bhi, &i, &j, &k);
        if (k) {
            blocks[3 * nb] = i, blocks[3 * nb + 1] = j, blocks[3 * nb + 2] = k;
            nb++;
            if (alo < i && blo < j) {
                Py_ssize_t *t = stack + 4 * top++;
                t[0] = alo, t[1] = i, t[2] = blo, t[3] = j;
            }
            if (i + k < ahi && j + k < bhi) {
                Py_ssize_t *t = stack + 4 * top++;
                t[0] = i + k, t[1] = ahi, t[2] = j + k, t[3] = bhi;
            }
        }
    }
    qsort(blocks, nb, 3 * sizeof(Py_ssize_t), cmp_block); /* blocks never share an a position */
    result = PyList_New(0);
    if (!result) goto done;
    Py_ssize_t i1 = 0, j1 = 0, k1 = 0;
    for (Py_ssize_t q = 0; q <= nb; q++) {
        if (q < nb && i1 + k1 == blocks[3 * q] && j1 + k1 == blocks[3 * q + 1]) {
            k1 += blocks[3 * q + 2];
            continue;
        }
        if (k1) {
            PyObject *t = Py_BuildValue("(nnn)", i1, j1, k1);
            if (!t || PyList_Append(result, t) < 0) {
                Py_XDECREF(t);
                Py_CLEAR(result);
                goto done;
            }
            Py_DECREF(t);
        }
        if (q < nb) i1 = blocks[3 * q], j1 = blocks[3 * q + 1], k1 = blocks[3 * q + 2];
    }
done:
    free(mem);
    Py_DECREF(fa);
    Py_DECREF(fb);
    return result;
}


/* Matched words of two id sequences by difflib's alignment: the sum of the matching blocks' sizes
 * (ida: ids of a, -1 when b has none; idb: ids 0..nid-1 of b).  scratch holds 4*(la+1) + 3*(lb+1) + 2
 * Py_ssize_t and 2*(lb+1) uint64. */
static Py_ssize_t mb_matched(const Py_ssize_t *ida, Py_ssize_t la, const Py_ssize_t *idb, Py_ssize_t lb,
                             Py_ssize_t nid, Py_ssize_t *scratch, uint64_t *stamps)
{
    Py_ssize_t *pstart = scratch, *pos = pstart + lb + 2, *len0 = pos + lb, *len1 = len0 + lb + 1;
    Py_ssize_t *stack = len1 + lb + 1;
    memset(pstart, 0, (nid + 2) * sizeof(Py_ssize_t));
    for (Py_ssize_t j = 0; j < lb; j++) pstart[idb[j] + 1]++;
    for (Py_ssize_t v = 0; v < nid; v++) pstart[v + 1] += pstart[v];
    for (Py_ssize_t v = 0; v < nid; v++) len0[v] = pstart[v];
    for (Py_ssize_t j = 0; j < lb; j++) pos[len0[idb[j]]++] = j;
    memset(stamps, 0, 2 * (lb + 1) * sizeof(uint64_t));
    mbctx c = {la, lb, ida, pstart, pos, len0, len1, stamps, stamps + lb + 1, 0};
    Py_ssize_t top = 1, matched = 0;
    stack[0] = 0, stack[1] = la, stack[2] = 0, stack[3] = lb;
    while (top) {
        top--;
        Py_ssize_t alo = stack[4 * top], ahi = stack[4 * top + 1], blo = stack[4 * top + 2], bhi = stack[4 * top + 3];
        Py_ssize_t i, j, k;
        mb_longest(&c, alo, ahi, blo, bhi, &i, &j, &k);
        if (k) {
            matched += k;
            if (alo < i && blo < j) {
                Py_ssize_t *t = stack + 4 * top++;
                t[0] = alo, t[1] = i, t[2] = blo, t[3] = j;
            }
            if (i + k < ahi && j + k < bhi) {
                Py_ssize_t *t = stack + 4 * top++;
                t[0] = i + k, t[1] = ahi, t[2] = j + k, t[3] = bhi;
            }
        }
    }
    return matched;
}

/* word_links(pairs, words, threshold, max_changed) -> bytes of float64 per pair: the word similarity
 * (aligned words over the longer copy's, dedupe.text.align.word_similarity) when the copies' lengths
 * differ by at most max_changed, at most max_changed words of the longer do not align and the
 * similarity reaches threshold; else -1.  dedupe.sketch.verify.word_link over int64 pairs of indices
 * into words (lists of tokens). */
static PyObject *word_links(PyObject *self, PyObject *args)
{
    PyObject *opairs, *owords;
    double threshold;
    Py_ssize_t max_changed;
    if (!PyArg_ParseTuple(args, "OO!dn", &opairs, &PyList_Type, &owords, &threshold, &max_changed)) return NULL;
    Py_buffer bp;
    if (get_buffer(opairs, &bp, 16, "pairs") < 0) return NULL;
    const int64_t *pairs = bp.buf;
    Py_ssize_t npairs = bp.len / 16, nw = PyList_GET_SIZE(owords);
    PyObject *result = NULL, **fast = NULL;
    Py_ssize_t *start = NULL, *gid = NULL, *loc = NULL, *ida = NULL, *idb = NULL, *scratch = NULL;
    uint64_t *stamps = NULL;
    PyObject **tkey = NULL;
    Py_hash_t *thash = NULL;
    Py_ssize_t *tid = NULL;
    for (Py_ssize_t k = 0; k < 2 * npairs; k++)
        if (pairs[k] < 0 || pairs[k] >= nw) {
            PyErr_SetString(PyExc_IndexError, "word_links: pair index out of range");
            goto done;
        }
    fast = calloc(nw ? nw : 1, sizeof(PyObject *));
    start = malloc((nw + 1) * sizeof(Py_ssize_t));
    if (!fast || !start) {
        PyErr_NoMemory();
        goto done;
    }
    start[0] = 0;
    Py_ssize_t maxlen = 0;
    for (Py_ssize_t w = 0; w < nw; w++) {
        fast[w] = PySequence_Fast(PyList_GET_ITEM(owords, w), "word_links: words must hold sequences");
        if (!fast[w]) goto done;
        Py_ssize_t m = PySequence_Fast_GET_SIZE(fast[w]);
        start[w + 1] = start[w] + m;
        if (m > maxlen) maxlen = m;
    }
    Py_ssize_t total = start[nw];
    size_t cap = 16;
    while (cap < 2 * (size_t)total + 2) cap <<= 1;
    tkey = calloc(cap, sizeof(PyObject *));
    thash = malloc(cap * sizeof(Py_hash_t));
    tid = malloc(cap * sizeof(Py_ssize_t));
    gid = malloc((total ? total : 1) * sizeof(Py_ssize_t));
    if (!tkey || !thash || !tid || !gid) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t nid = 0;
    for (Py_ssize_t w = 0; w < nw; w++) {
        PyObject **items = PySequence_Fast_ITEMS(fast[w]);
        for (Py_ssize_t q = 0; q < start[w + 1] - start[w]; q++) {
            PyObject *x = items[q];
            Py_hash_t h = PyObject_Hash(x);
            if (h == -1) goto done;
            size_t sl = (size_t)h & (cap - 1);
            for (;;) {
                if (!tkey[sl]) {
                    tkey[sl] = x;
                    thash[sl] = h;
                    tid[sl] = nid;
                    gid[start[w] + q] = nid++;
                    break;
                }
                if (thash[sl] == h) {
                    int eq = tkey[sl] == x ? 1 : PyObject_RichCompareBool(tkey[sl], x, Py_EQ);
                    if (eq < 0) goto done;
                    if (eq) {
                        gid[start[w] + q] = tid[sl];
                        break;
                    }
                }
                sl = (sl + 1) & (cap - 1);
            }
        }
    }
    loc = malloc((nid ? nid : 1) * sizeof(Py_ssize_t));
    ida = malloc((maxlen + 1) * sizeof(Py_ssize_t));
    idb = malloc((maxlen + 1) * sizeof(Py_ssize_t));
    scratch = malloc((4 * (maxlen + 1) + 3 * (maxlen + 1) + 2) * sizeof(Py_ssize_t));
    stamps = malloc(2 * (maxlen + 1) * sizeof(uint64_t));
    result = PyBytes_FromStringAndSize(NULL, npairs * sizeof(double));
    if (!loc || !ida || !idb || !scratch || !stamps || !result) {
        Py_CLEAR(result);
        PyErr_NoMemory();
        goto done;
    }
    double *out = (double *)PyBytes_AS_STRING(result);
    for (Py_ssize_t v = 0; v < nid; v++) loc[v] = -1;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t k = 0; k < npairs; k++) {
        Py_ssize_t a = (Py_ssize_t)pairs[2 * k], b = (Py_ssize_t)pairs[2 * k + 1];
        Py_ssize_t la = start[a + 1] - start[a], lb = start[b + 1] - start[b];
        out[k] = -1.0;
        Py_ssize_t d = la > lb ? la - lb : lb - la;
        if (d > max_changed) continue;
        Py_ssize_t n = la > lb ? la : lb;
        if (n == 0) { /* word_similarity: 0.0, 0 changed */
            if (0.0 >= threshold) out[k] = 0.0;
            continue;
        }
        const Py_ssize_t *ga = gid + start[a], *gb = gid + start[b];
        Py_ssize_t lid = 0;
        for (Py_ssize_t j = 0; j < lb; j++) {
            if (loc[gb[j]] < 0) loc[gb[j]] = lid++;
            idb[j] = loc[gb[j]];
        }
        for (Py_ssize_t i = 0; i < la; i++) ida[i] = loc[ga[i]];
        Py_ssize_t matched = mb_matched(ida, la, idb, lb, lid, scratch, stamps);
        for (Py_ssize_t j = 0; j < lb; j++) loc[gb[j]] = -1;
        double sim = (double)matched / (double)n;
        if (n - matched <= max_changed && sim >= threshold) out[k] = sim;
    }
    Py_END_ALLOW_THREADS
done:
    if (fast) {
        for (Py_ssize_t w = 0; w < nw; w++) Py_XDECREF(fast[w]);
        free(fast);
    }
    free(start);
    free(tkey);
    free(thash);
    free(tid);
    free(gid);
    free(loc);
    free(ida);
    free(idb);
    free(scratch);
    free(stamps);
    PyBuffer_Release(&bp);
    return result;
}

static PyMethodDef methods[] = {
    {"count_tokens", (PyCFunction)(void (*)(void))count_tokens, METH_FASTCALL,
     "count_tokens(text, start, end) -> len(TOKEN_RE.findall(text, start, end))"},
    {"shingle_units", shingle_units, METH_VARARGS,
     "shingle_units(texts, starts, ends, n) -> (fps, offsets, setkeys) as bytes of uint64"},
    {"join_tokens", join_tokens, METH_O, "join_tokens(text) -> ' '.join(TOKEN_RE.findall(text))"},
    {"token_spans", token_spans, METH_O,
     "token_spans(text) -> [(start, end, token.lower())] of each TOKEN_RE match"},
    {"word_hash64", py_word_hash64, METH_O, "word_hash64(word) -> first 8 bytes of SHA-1(utf-8), little-endian"},
    {"element_frequencies", element_frequencies, METH_O,
     "element_frequencies(fps) -> bytes of int32: how often each element occurs in fps"},
    {"count_at_least", count_at_least, METH_VARARGS,
     "count_at_least(freq, offsets, k) -> bytes of int64: per set, elements with freq >= k"},
    {"sort_keyed", sort_keyed, METH_VARARGS,
     "sort_keyed(keys, vals) -> (keys, vals) as bytes, sorted by (key, val); keys uint64, vals uint32"},
    {"merge_keyed", merge_keyed, METH_O,
     "merge_keyed([(keys, vals), ...]) -> (keys, vals): sorted runs merged by (key, val)"},
    {"containment_pairs", containment_pairs, METH_VARARGS,
     "containment_pairs(fps, offsets, freq, threshold, max_posting) -> bytes of int64 pairs"},
    {"short_candidates", short_candidates, METH_VARARGS,
     "short_candidates(fps, offsets, freq, max_size, max_posting, slack) -> (pairs, shared) as bytes of int64"},
    {"verify_pairs", verify_pairs, METH_VARARGS,
     "verify_pairs(pairs, fps, offsets) -> bytes of int64 intersection sizes"},
    {"paragraph_spans_plain", paragraph_spans_plain, METH_O,
     "paragraph_spans_plain(text) -> [(start, end)]: splitting.paragraph_spans(text, marked=False)"},
    {"band_pairs", band_pairs, METH_VARARGS,
     "band_pairs(sigs, n, width, bands, rows, max_bucket) -> bytes of int64 pairs sharing a band"},
    {"split_words", split_words, METH_O,
     "split_words(texts) -> (counts, ids, first): str.split() words of each text, as ids of distinct words"},
    {"pool_rows", pool_rows, METH_VARARGS,
     "pool_rows(table, dim, rows, counts, unit) -> bytes of float32: per segment, the sum of its table rows"},
    {"csr_take", csr_take, METH_VARARGS, "csr_take(values, offsets, rows) -> (values, offsets) of those rows"},
    {"boundary_flags", boundary_flags, METH_VARARGS,
     "boundary_flags(text, paras) -> bytes: 1 where a paragraph may hold a sentence break"},
    {"paragraph_units", paragraph_units, METH_VARARGS,
     "paragraph_units(text, low, paras, punkt, min_words, want_quotes) -> (sentences, bytes of int64 triples)"},
    {"quote_spans", py_quote_spans, METH_VARARGS, "quote_spans(text, start, end) -> [(s, e)]"},
    {"matching_blocks", matching_blocks, METH_VARARGS,
     "matching_blocks(a, b) -> [(i, j, size)]: difflib.SequenceMatcher(None, a, b, autojunk=False)'s non-empty blocks"},
    {"word_links", word_links, METH_VARARGS,
     "word_links(pairs, words, threshold, max_changed) -> bytes of float64: word similarity of each pair, -1 if unlinked"},
    {"minhash32", minhash32, METH_VARARGS,
     "minhash32(x, offsets, a, b) -> bytes of uint32 (sets x len(a)): per-set minima of a*x+b mod 2**32"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef moddef = {PyModuleDef_HEAD_INIT, "dedupe.kernels._speedups",
                                    "Compiled hot loops of the dedupe engine (optional).", -1, methods};

PyMODINIT_FUNC PyInit__speedups(void)
{
    for (int c = 0; c < 256; c++) alnum_latin1[c] = Py_UNICODE_ISALNUM((Py_UCS4)c) ? 1 : 0;
    return PyModule_Create(&moddef);
}
