//! `keytrack-agent`: the program users install. Capture, aggregation, spool and upload arrive with
//! the agent issue; until then this binary only tells what it will be and which format it speaks.

fn main() {
    println!(
        "keytrack-agent {}: capture is not built yet; it will upload per-minute counts of {} known keys.",
        env!("CARGO_PKG_VERSION"),
        keytrack_wire::KEY_CODES.len()
    );
}
