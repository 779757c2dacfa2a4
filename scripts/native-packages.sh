# Sourced by lint.sh, build-site.sh and test.sh: every package built for this machine, the app with
# its server feature, named together in each cargo run. Cargo resolves dependencies' features once
# per run from the packages it is given, so runs that name the same packages compile (or check)
# each dependency once; a run per package compiled the shared ones again for each package's mix.
NATIVE_PACKAGES=(-p keytrack-wire -p keytrack-synth -p keytrack-agent -p keytrack-app -p keytrack-tools -p keytrack-wasm-split --features keytrack-app/ssr)
