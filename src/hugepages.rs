//! A global allocator that asks Linux for transparent huge pages on large
//! allocations.
//!
//! At national scale the model reads its seller, card and consumer arrays
//! (several GiB) at random. With 4 KiB pages almost every such read also
//! misses the TLB and walks the page tables; with 2 MiB pages the TLB covers
//! gigabytes. Many distributions ship transparent huge pages in `madvise`
//! mode, where a process gets them only for memory it marks with
//! `madvise(MADV_HUGEPAGE)`. This allocator is the system allocator plus
//! that advice on every allocation of at least [`HUGE_PAGE`] bytes. It
//! changes where memory comes from, never what the program computes; on
//! other systems, or with huge pages disabled, it is the system allocator.
//!
//! A binary opts in with
//! `#[global_allocator] static ALLOC: pasar::hugepages::HugePageAlloc = pasar::hugepages::HugePageAlloc;`.

use std::alloc::{GlobalAlloc, Layout, System};

/// The size of a transparent huge page on x86-64 and most aarch64 kernels.
pub const HUGE_PAGE: usize = 2 << 20;

/// The system allocator, with huge-page advice for large blocks.
#[derive(Debug, Clone, Copy, Default)]
pub struct HugePageAlloc;

// SAFETY: every call is forwarded to `System` with the caller's arguments
// unchanged, so `System`'s guarantees carry over; the only addition is
// advice on memory the block owns, which never changes its contents.
unsafe impl GlobalAlloc for HugePageAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged (the caller upholds `alloc`'s contract).
        let block = unsafe { System.alloc(layout) };
        advise(block, layout.size());
        block
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let block = unsafe { System.alloc_zeroed(layout) };
        advise(block, layout.size());
        block
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        // SAFETY: as for `alloc`: `block` came from `System` through us.
        unsafe { System.dealloc(block, layout) }
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as for `dealloc`.
        let moved = unsafe { System.realloc(block, layout, new_size) };
        advise(moved, new_size);
        moved
    }
}

/// Mark the whole 2 MiB pages inside `[block, block + size)` for huge
/// pages. Advice only: a failure leaves ordinary pages, so it is ignored.
#[cfg(target_os = "linux")]
fn advise(block: *mut u8, size: usize) {
    if block.is_null() || size < HUGE_PAGE {
        return;
    }
    let start = (block as usize).next_multiple_of(HUGE_PAGE);
    let end = (block as usize + size) / HUGE_PAGE * HUGE_PAGE;
    if end > start {
        // SAFETY: the range lies inside a block this allocator just handed
        // out (rounded inwards to page boundaries); MADV_HUGEPAGE changes
        // how the kernel backs it, never its contents or its validity.
        unsafe {
            libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn advise(_block: *mut u8, _size: usize) {}

#[cfg(test)]
mod tests {
    use super::*;

    /// Blocks of every size round-trip through the allocator with their
    /// contents intact, and keep them when they grow past the huge-page
    /// size.
    #[test]
    fn blocks_keep_their_contents() {
        let a = HugePageAlloc;
        for size in [
            1usize,
            4096,
            HUGE_PAGE - 1,
            HUGE_PAGE,
            3 * HUGE_PAGE + 12_345,
        ] {
            let layout = Layout::from_size_align(size, 64).expect("valid layout");
            // SAFETY: a non-zero size and a valid alignment; the block is
            // written only within `size`, then freed with its layout.
            unsafe {
                let block = a.alloc_zeroed(layout);
                assert!(!block.is_null());
                assert!((0..size).step_by(4093).all(|i| *block.add(i) == 0));
                for i in (0..size).step_by(4093) {
                    *block.add(i) = (i % 251) as u8;
                }
                let grown = a.realloc(block, layout, 2 * size + HUGE_PAGE);
                assert!(!grown.is_null());
                assert!(
                    (0..size)
                        .step_by(4093)
                        .all(|i| *grown.add(i) == (i % 251) as u8)
                );
                let grown_layout =
                    Layout::from_size_align(2 * size + HUGE_PAGE, 64).expect("valid");
                a.dealloc(grown, grown_layout);
            }
        }
    }
}
