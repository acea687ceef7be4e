//! Entry point of the WebAssembly binary that trunk builds; everything is in the library.

fn main() {
    frontend::start();
}
