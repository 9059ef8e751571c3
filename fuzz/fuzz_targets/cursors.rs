#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    homedir_fuzz::cursors(data);
});
