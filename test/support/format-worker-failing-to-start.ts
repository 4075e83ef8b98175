// A stand-in formatting worker entry that throws while loading, before it reports ready, so
// tests can see the pool fall back to formatting on the calling thread.
throw new Error("this formatting worker cannot load");
