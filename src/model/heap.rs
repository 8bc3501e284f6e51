//! Bytes the state holds on the heap, for the memory estimate's check.

/// Bytes a vector holds on the heap (its capacity, not its length).
pub fn vec_bytes<T>(v: &Vec<T>) -> usize {
    v.capacity() * size_of::<T>()
}
