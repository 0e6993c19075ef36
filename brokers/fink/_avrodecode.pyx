# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Compiled schemaless Avro decoder with field projection (see brokers/fink/avrodecode.py).

The schema is compiled once into a tree of ``Node`` objects. Decoding walks that tree
over the raw buffer in C; fields outside the projection are *skipped* (the pointer
advances, no Python object is built), which is where fastavro spends most of its time
on Fink alerts (hundreds of history records of ~120 fields each). History arrays are
decoded by column (``K_COLUMNS``): one typed buffer per kept field, no dict per entry.
"""

from cpython cimport array
from cpython.bytes cimport PyBytes_FromStringAndSize
from cpython.dict cimport PyDict_SetItem
from cpython.list cimport PyList_Append
from cpython.unicode cimport PyUnicode_DecodeUTF8
from libc.math cimport NAN
from libc.string cimport memcpy

# Node kinds
DEF K_NULL = 0
DEF K_BOOLEAN = 1
DEF K_INT = 2  # int and long
DEF K_FLOAT = 3
DEF K_DOUBLE = 4
DEF K_BYTES = 5
DEF K_STRING = 6
DEF K_RECORD = 7
DEF K_ENUM = 8
DEF K_ARRAY = 9
DEF K_MAP = 10
DEF K_UNION = 11
DEF K_FIXED = 12
DEF K_COLUMNS = 13  # array of records, decoded by column

# Column kinds of a K_COLUMNS item record's fields
DEF C_SKIP = 0
DEF C_FLOAT = 1  # float64 values, NaN and a null flag where null
DEF C_INT = 2  # int64 values, 0 and a null flag where null
DEF C_TEXT = 3  # int32 codes into the distinct values seen (first seen, first code); -1: null
DEF C_OBJECT = 4  # a list of Python values (types the column kind does not cover)


class AvroDecodeError(ValueError):
    pass


class AvroTruncated(AvroDecodeError, EOFError):
    pass


cdef class Node:
    cdef public int kind
    cdef public list children  # record fields / union branches / [items] / [values]
    cdef public list names  # record field names, enum symbols
    cdef public list keep  # record: per field, True to build the value
    cdef public Py_ssize_t size  # fixed size
    cdef public list columns  # K_COLUMNS item record: per field, its column kind (C_*)
    cdef public object factory  # K_COLUMNS: factory(length, names, kinds, values, nulls, texts)


cdef class _Reader:
    cdef const unsigned char* buf
    cdef Py_ssize_t pos
    cdef Py_ssize_t end

    cdef inline int need(self, Py_ssize_t n) except -1:
        if self.pos + n > self.end:
            raise AvroTruncated("Avro value ends early")
        return 0

    cdef inline long long read_long(self) except? -1:
        cdef unsigned long long result = 0
        cdef int shift = 0
        cdef unsigned char b
        while True:
            if self.pos >= self.end:
                raise AvroTruncated("Avro value ends early")
            b = self.buf[self.pos]
            self.pos += 1
            result |= (<unsigned long long>(b & 0x7F)) << shift
            if not (b & 0x80):
                break
            shift += 7
            if shift > 63:
                raise AvroDecodeError("varint too long")
        return <long long>((result >> 1) ^ (-(result & 1)))

    cdef inline long long read_block_count(self) except -1:
        """Items in the next block of an array or map, 0 at the end (a block's byte size,
        written before its items when the count is negative, is read past)."""
        cdef long long n = self.read_long()
        if n < 0:
            n = -n
            self.read_long()
        return n

    cdef inline Node read_branch(self, Node union):
        """The branch of ``union`` the next value is encoded in."""
        cdef long long index = self.read_long()
        if index < 0 or index >= len(union.children):
            raise AvroDecodeError("union index out of range")
        return <Node>union.children[index]

    cdef int skip(self, Node node) except -1:
        cdef long long n, i
        cdef Node child
        cdef int kind = node.kind
        if kind == K_NULL:
            return 0
        if kind == K_BOOLEAN:
            self.need(1)
            self.pos += 1
        elif kind == K_INT or kind == K_ENUM:
            self.read_long()
        elif kind == K_FLOAT:
            self.need(4)
            self.pos += 4
        elif kind == K_DOUBLE:
            self.need(8)
            self.pos += 8
        elif kind == K_BYTES or kind == K_STRING:
            n = self.read_long()
            if n < 0:
                raise AvroDecodeError("negative length")
            self.need(n)
            self.pos += n
        elif kind == K_FIXED:
            self.need(node.size)
            self.pos += node.size
        elif kind == K_RECORD:
            for child in node.children:
                self.skip(child)
        elif kind == K_UNION:
            self.skip(self.read_branch(node))
        elif kind == K_ARRAY or kind == K_MAP or kind == K_COLUMNS:
            child = <Node>node.children[0]
            while True:
                n = self.read_block_count()
                if n == 0:
                    break
                for i in range(n):
                    if kind == K_MAP:
                        self.skip_string()
                    self.skip(child)
        return 0

    cdef inline int skip_string(self) except -1:
        cdef long long n = self.read_long()
        if n < 0:
            raise AvroDecodeError("negative length")
        self.need(n)
        self.pos += n
        return 0

    cdef object read(self, Node node):
        cdef long long n, i, index
        cdef double d
        cdef float f
        cdef Node child
        cdef dict out
        cdef list items
        cdef int kind = node.kind
        cdef Py_ssize_t k, nfields
        if kind == K_NULL:
            return None
        if kind == K_DOUBLE:
            self.need(8)
            memcpy(&d, self.buf + self.pos, 8)
            self.pos += 8
            return d
        if kind == K_INT:
            return self.read_long()
        if kind == K_UNION:
            return self.read(self.read_branch(node))
        if kind == K_FLOAT:
            self.need(4)
            memcpy(&f, self.buf + self.pos, 4)
            self.pos += 4
            return <double>f
        if kind == K_STRING:
            n = self.read_long()
            if n < 0:
                raise AvroDecodeError("negative length")
            self.need(n)
            self.pos += n
            return PyUnicode_DecodeUTF8(<const char*>(self.buf + self.pos - n), n, NULL)
        if kind == K_BOOLEAN:
            self.need(1)
            self.pos += 1
            return self.buf[self.pos - 1] != 0
        if kind == K_BYTES:
            n = self.read_long()
            if n < 0:
                raise AvroDecodeError("negative length")
            self.need(n)
            self.pos += n
            return PyBytes_FromStringAndSize(<const char*>(self.buf + self.pos - n), n)
        if kind == K_FIXED:
            self.need(node.size)
            self.pos += node.size
            return PyBytes_FromStringAndSize(
                <const char*>(self.buf + self.pos - node.size), node.size
            )
        if kind == K_RECORD:
            out = {}
            nfields = len(node.children)
            for k in range(nfields):
                child = <Node>node.children[k]
                if node.keep[k]:
                    PyDict_SetItem(out, node.names[k], self.read(child))
                else:
                    self.skip(child)
            return out
        if kind == K_ENUM:
            index = self.read_long()
            if index < 0 or index >= len(node.names):
                raise AvroDecodeError("enum index out of range")
            return node.names[index]
        if kind == K_COLUMNS:
            return self.read_columns(node)
        if kind == K_ARRAY:
            items = []
            child = <Node>node.children[0]
            while True:
                n = self.read_block_count()
                if n == 0:
                    break
                for i in range(n):
                    PyList_Append(items, self.read(child))
            return items
        if kind == K_MAP:
            out = {}
            child = <Node>node.children[0]
            while True:
                n = self.read_block_count()
                if n == 0:
                    break
                for i in range(n):
                    key = self.read_string()
                    PyDict_SetItem(out, key, self.read(child))
            return out
        raise AvroDecodeError(f"unknown node kind {kind}")

    cdef object read_columns(self, Node node):
        """An array of records (``node.children[0]``: the record, or a union of it and
        null) as one column per kept field; a null entry reads as null in every column."""
        cdef Node items = <Node>node.children[0]
        cdef Node record = items
        cdef Node branch
        cdef Py_ssize_t k, nfields, total = 0
        cdef long long n, i
        cdef int column_kind
        cdef bint entry_is_null
        cdef double d
        cdef float f
        cdef dict codes_k
        cdef object text
        cdef object code
        if items.kind == K_UNION:
            for branch in items.children:
                if branch.kind == K_RECORD:
                    record = branch
        nfields = len(record.children)
        cdef list kinds = record.columns
        cdef list values = [], nulls = [], texts = [], codes = []
        for k in range(nfields):
            column_kind = kinds[k]
            if column_kind == C_FLOAT:
                values.append(array.array("d"))
            elif column_kind == C_INT:
                values.append(array.array("q"))
            elif column_kind == C_TEXT:
                values.append(array.array("i"))
            elif column_kind == C_OBJECT:
                values.append([])
            else:
                values.append(None)
            nulls.append(array.array("b") if column_kind in (C_FLOAT, C_INT) else None)
            texts.append([] if column_kind == C_TEXT else None)
            codes.append({} if column_kind == C_TEXT else None)
        while True:
            n = self.read_block_count()
            if n == 0:
                break
            for k in range(nfields):
                column_kind = kinds[k]
                if column_kind == C_FLOAT or column_kind == C_INT or column_kind == C_TEXT:
                    array.resize(<array.array>values[k], total + n)
                if column_kind == C_FLOAT or column_kind == C_INT:
                    array.resize(<array.array>nulls[k], total + n)
            for i in range(n):
                entry_is_null = False
                if items.kind == K_UNION:
                    branch = self.read_branch(items)
                    if branch.kind == K_NULL:
                        entry_is_null = True
                    elif branch is not record:
                        raise AvroDecodeError("unexpected array item type")
                for k in range(nfields):
                    column_kind = kinds[k]
                    branch = <Node>record.children[k]
                    if column_kind == C_SKIP:
                        if not entry_is_null:
                            self.skip(branch)
                        continue
                    if not entry_is_null and branch.kind == K_UNION:
                        branch = self.read_branch(branch)
                    if entry_is_null or branch.kind == K_NULL:
                        if column_kind == C_FLOAT:
                            (<array.array>values[k]).data.as_doubles[total + i] = NAN
                            (<array.array>nulls[k]).data.as_schars[total + i] = 1
                        elif column_kind == C_INT:
                            (<array.array>values[k]).data.as_longlongs[total + i] = 0
                            (<array.array>nulls[k]).data.as_schars[total + i] = 1
                        elif column_kind == C_TEXT:
                            (<array.array>values[k]).data.as_ints[total + i] = -1
                        else:
                            (<list>values[k]).append(None)
                        continue
                    if column_kind == C_FLOAT:
                        if branch.kind == K_DOUBLE:
                            self.need(8)
                            memcpy(&d, self.buf + self.pos, 8)
                            self.pos += 8
                        elif branch.kind == K_FLOAT:
                            self.need(4)
                            memcpy(&f, self.buf + self.pos, 4)
                            self.pos += 4
                            d = f
                        else:
                            d = <double>self.read_long()
                        (<array.array>values[k]).data.as_doubles[total + i] = d
                        (<array.array>nulls[k]).data.as_schars[total + i] = 0
                    elif column_kind == C_INT:
                        (<array.array>values[k]).data.as_longlongs[total + i] = self.read_long()
                        (<array.array>nulls[k]).data.as_schars[total + i] = 0
                    elif column_kind == C_TEXT:
                        text = self.read(branch)
                        codes_k = <dict>codes[k]
                        code = codes_k.get(text)
                        if code is None:
                            code = len(codes_k)
                            codes_k[text] = code
                            (<list>texts[k]).append(text)
                        (<array.array>values[k]).data.as_ints[total + i] = code
                    else:
                        (<list>values[k]).append(self.read(branch))
            total += n
        return node.factory(total, record.names, kinds, values, nulls, texts)

    cdef object read_string(self):
        cdef long long n = self.read_long()
        if n < 0:
            raise AvroDecodeError("negative length")
        self.need(n)
        self.pos += n
        return PyUnicode_DecodeUTF8(<const char*>(self.buf + self.pos - n), n, NULL)


def decode(const unsigned char[::1] data, Node root):
    """Decode one schemaless Avro value; returns ``(value, bytes_consumed)``."""
    cdef _Reader reader = _Reader()
    if data.shape[0] == 0:
        raise AvroTruncated("empty value")
    reader.buf = &data[0]
    reader.pos = 0
    reader.end = data.shape[0]
    value = reader.read(root)
    return value, reader.pos
