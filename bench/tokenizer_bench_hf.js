// tokenizer_bench_hf.js — the reference side of bench/tokenizer_bench.sh: Hugging Face's
// tokenizers (Rust, through its Node binding, npm package "tokenizers") encoding the same
// SQuAD dev contexts with special tokens and offsets, best of ROUNDS, printed as one JSON line
// in the format of tokenizer_bench.c. Threads are set with RAYON_NUM_THREADS by the caller.
// usage: node tokenizer_bench_hf.js SQUAD_JSON TOKENIZER_JSON THREADS ROUNDS
const {Tokenizer} = require('tokenizers');
const fs = require('fs');
const [, , squad, tokjson, threads, rounds] = process.argv;
const doc = JSON.parse(fs.readFileSync(squad, 'utf8'));
const texts = [];
for (const a of doc.data) for (const p of a.paragraphs) texts.push(p.context);
const bytes = texts.reduce((s, t) => s + Buffer.byteLength(t, 'utf8'), 0);
const tk = Tokenizer.fromFile(tokjson);
(async () => {
  let best = 1e30, tokens = 0;
  for (let r = 0; r < Number(rounds); r++) {
    const t0 = process.hrtime.bigint();
    const enc = await tk.encodeBatch(texts);
    const dt = Number(process.hrtime.bigint() - t0) / 1e9;
    if (dt < best) best = dt;
    tokens = enc.reduce((s, e) => s + e.getLength(), 0);
  }
  console.log(JSON.stringify({system: 'hf-tokenizers', tokenizer: tokjson, threads: Number(threads), texts: texts.length, bytes, tokens,
    seconds: Number(best.toFixed(4)), mb_per_s: Number((bytes / best / 1e6).toFixed(2)), tokens_per_s: Math.round(tokens / best)}));
})();
