//! Reads for the server: OGC API Features items, bbox and keyset paging; API tokens (owned by the server work).
