//! The page's files are compiled in (rust-embed): a file added to or
//! changed in `assets/` must rebuild the crate, which cargo only knows when
//! told to watch the folder.

fn main() {
    println!("cargo:rerun-if-changed=assets");
}
