//! `keytrack-wasm-split INPUT.wasm PKG_DIR MAIN_OUT.wasm`: splits the browser's wasm (linked with
//! `--emit-relocs`, `.cargo/config.toml`) at its `#[wasm_split]` points, the lazy routes of
//! `app/src/ui/pages.rs`. The chunks and the loader that fetches them go to PKG_DIR; the main
//! module to MAIN_OUT, which wasm-bindgen then turns into `keytrack.js` and `keytrack.wasm`
//! (scripts/build-site.sh). `__wasm_split_manifest.json` in PKG_DIR names, per chunk, the files a
//! page needs: the server reads it to preload them from the page's head.
//!
//! What cargo-leptos's `--split` does, as a small program of our own: KeyTrack builds its site with
//! plain cargo and the wasm-bindgen CLI (see scripts/build-site.sh for why).

use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};

/// The loader's module name: the one the server's `HydrationScripts` links to (leptos'
/// `hydration` module), relative to `pkg/`.
const LOADER: &str = "./__wasm_split.______________________.js";
/// What the loader imports the main module's exports from: wasm-bindgen's JS, named as the page
/// loads it (`LEPTOS_OUTPUT_NAME`).
const MAIN_MODULE: &str = "./keytrack.js";
const MANIFEST: &str = "__wasm_split_manifest.json";

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, pkg_dir, main_out] = args.as_slice() else {
        bail!("usage: keytrack-wasm-split INPUT.wasm PKG_DIR MAIN_OUT.wasm");
    };
    let pkg_dir = Path::new(pkg_dir);
    let input_wasm = std::fs::read(input).with_context(|| format!("reading {input}"))?;
    std::fs::create_dir_all(pkg_dir).with_context(|| format!("creating {}", pkg_dir.display()))?;

    let mut options = wasm_split_cli_support::Options::new(&input_wasm);
    options.output_dir = pkg_dir;
    options.main_out_path = Path::new(main_out);
    options.link_name = LOADER;
    options.main_module = MAIN_MODULE;
    options.target.web();
    // The library's errors are eyre's; their Debug form carries the chain of causes.
    let split = wasm_split_cli_support::transform(options).map_err(|error| anyhow!("{error:?}"))?;

    let manifest = serde_json::to_string(&split.prefetch_map)?;
    std::fs::write(pkg_dir.join(MANIFEST), manifest).with_context(|| format!("writing {MANIFEST}"))?;
    println!(
        "wasm split: {} chunks for {} split points into {}",
        split.split_modules.len(),
        split.prefetch_map.len(),
        pkg_dir.display()
    );
    Ok(())
}
