# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""PostgreSQL binary COPY rows encoded from columns in C (see brokers/fink/pgcopy.py).

One loop over rows and columns writes big-endian fields into one buffer; no Python
object is made per row or per value (psycopg's ``write_row`` makes several).
"""

from cpython.bytearray cimport PyByteArray_AS_STRING, PyByteArray_FromStringAndSize, PyByteArray_Resize
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from libc.stdint cimport int32_t, int64_t, uint64_t
from libc.string cimport memcpy

# Column kinds, as in pgcopy.py
DEF T_INT4 = 1
DEF T_INT8 = 2
DEF T_FLOAT8 = 3
DEF T_TEXT = 4

DEF HEADER = b"PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00"


cdef inline unsigned char* put16(unsigned char* p, int v) noexcept:
    p[0] = (v >> 8) & 0xFF
    p[1] = v & 0xFF
    return p + 2


cdef inline unsigned char* put32(unsigned char* p, int32_t v) noexcept:
    cdef unsigned int u = <unsigned int>v
    p[0] = (u >> 24) & 0xFF
    p[1] = (u >> 16) & 0xFF
    p[2] = (u >> 8) & 0xFF
    p[3] = u & 0xFF
    return p + 4


cdef inline unsigned char* put64(unsigned char* p, uint64_t u) noexcept:
    cdef int k
    for k in range(8):
        p[k] = (u >> (56 - 8 * k)) & 0xFF
    return p + 8


def encode(Py_ssize_t nrows, list kinds, list values, list nulls, list texts):
    """The COPY stream (header, rows, trailer) of ``nrows`` rows, as a bytearray.

    Per column: ``kinds[c]`` (T_*), ``values[c]`` the raw bytes of a contiguous array
    (int32, int64, float64, or int64 codes into ``texts[c]``, a list of bytes),
    ``nulls[c]`` None or one byte per row (non-zero: null). Float NaN and text codes
    outside ``texts[c]`` are null too.
    """
    cdef Py_ssize_t ncols = len(kinds), c, r, width, text_width, size
    cdef int* kind = <int*>PyMem_Malloc(ncols * sizeof(int))
    cdef const unsigned char** data = <const unsigned char**>PyMem_Malloc(ncols * sizeof(void*))
    cdef const unsigned char** null = <const unsigned char**>PyMem_Malloc(ncols * sizeof(void*))
    cdef const unsigned char[::1] view
    cdef list held = []  # the memoryviews whose pointers are in data/null
    cdef unsigned char* p
    cdef double d
    cdef int64_t code
    cdef list column_texts
    cdef bytes text
    cdef Py_ssize_t n_texts
    if kind == NULL or data == NULL or null == NULL:
        PyMem_Free(kind)
        PyMem_Free(data)
        PyMem_Free(null)
        raise MemoryError()
    try:
        width = 2
        for c in range(ncols):
            kind[c] = kinds[c]
            view = values[c]
            if view.shape[0] < nrows * (4 if kind[c] == T_INT4 else 8):
                raise ValueError(f"column {c}: {view.shape[0]} bytes for {nrows} rows")
            held.append(view)
            data[c] = &view[0] if view.shape[0] else NULL
            if nulls[c] is None:
                null[c] = NULL
            else:
                view = nulls[c]
                if view.shape[0] < nrows:
                    raise ValueError(f"column {c}: {view.shape[0]} null flags for {nrows} rows")
                held.append(view)
                null[c] = &view[0] if view.shape[0] else NULL
            if kind[c] == T_INT4:
                width += 8
            elif kind[c] == T_TEXT:
                text_width = 0
                for text in texts[c]:
                    if text is not None:
                        text_width = max(text_width, PyBytes_GET_SIZE(text))
                width += 4 + text_width
            else:
                width += 12
        size = len(HEADER) + nrows * width + 2
        out = PyByteArray_FromStringAndSize(NULL, size)
        p = <unsigned char*>PyByteArray_AS_STRING(out)
        memcpy(p, <const char*>HEADER, len(HEADER))
        p += len(HEADER)
        for r in range(nrows):
            p = put16(p, ncols)
            for c in range(ncols):
                if null[c] != NULL and null[c][r]:
                    p = put32(p, -1)
                    continue
                if kind[c] == T_INT4:
                    p = put32(p, 4)
                    p = put32(p, (<const int32_t*>data[c])[r])
                elif kind[c] == T_INT8:
                    p = put32(p, 8)
                    p = put64(p, <uint64_t>(<const int64_t*>data[c])[r])
                elif kind[c] == T_FLOAT8:
                    d = (<const double*>data[c])[r]
                    if d != d:
                        p = put32(p, -1)
                        continue
                    p = put32(p, 8)
                    p = put64(p, (<const uint64_t*>data[c])[r])
                else:
                    code = (<const int64_t*>data[c])[r]
                    column_texts = <list>texts[c]
                    n_texts = len(column_texts)
                    if code < 0 or code >= n_texts or column_texts[code] is None:
                        p = put32(p, -1)
                        continue
                    text = <bytes>column_texts[code]
                    p = put32(p, <int32_t>PyBytes_GET_SIZE(text))
                    memcpy(p, PyBytes_AS_STRING(text), PyBytes_GET_SIZE(text))
                    p += PyBytes_GET_SIZE(text)
        p = put16(p, 0xFFFF)
        PyByteArray_Resize(out, p - <unsigned char*>PyByteArray_AS_STRING(out))
        return out
    finally:
        PyMem_Free(kind)
        PyMem_Free(data)
        PyMem_Free(null)
