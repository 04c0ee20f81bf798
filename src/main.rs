fn main() {
    println!("socklab");
}
