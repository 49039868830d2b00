/// Parsing, checking and running recurse once per nesting level. Their depth
/// is bounded (see `yaml::MAX_YAML_DEPTH`), and this stack holds that bound
/// with room to spare even in a debug build; it is reserved, not used, so it
/// costs nothing until a deep file needs it.
const STACK: usize = 256 << 20;

fn main() {
    let args: Vec<_> = std::env::args_os().collect();
    let code = match std::thread::Builder::new()
        .name("iotrun".into())
        .stack_size(STACK)
        .spawn(move || iotrun::app::main(args))
    {
        // A panic has printed its message already; 101 is Rust's own status for it.
        Ok(thread) => thread.join().unwrap_or(101),
        // Without the stack a deep file could overflow it; say so and stop.
        Err(err) => {
            eprintln!("iotrun: cannot start: {err}");
            2
        }
    };
    std::process::exit(code);
}
