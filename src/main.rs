fn main() {
    std::process::exit(iotrun::app::main(std::env::args_os()));
}
