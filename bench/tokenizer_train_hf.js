// tokenizer_train_hf.js — the reference side of bench/tokenizer_train.sh: Hugging Face
// tokenizers (Rust, npm tokenizers@0.23.2) trains a WordPiece vocabulary with its default
// WordPieceTrainer (vocab_size 30000, min_frequency 0, no special tokens, no alphabet limit)
// on a text file, BertNormalizer (uncased) + BertPreTokenizer. Prints the training seconds
// (Tokenizer.train alone: reading the file, counting words, merging) and writes the vocabulary.
// usage: NODE_PATH=DIR/node_modules node tokenizer_train_hf.js CORPUS.txt OUT_VOCAB.txt
const tk = require('tokenizers');
const fs = require('fs');
const t = new tk.Tokenizer(tk.WordPiece.init({}, {unkToken: '[UNK]', continuingSubwordPrefix: '##'}));
t.setNormalizer(tk.bertNormalizer({cleanText: true, handleChineseChars: true, lowercase: true}));
t.setPreTokenizer(tk.bertPreTokenizer());
const t0 = process.hrtime.bigint();
t.train([process.argv[2]]);
const s = Number(process.hrtime.bigint() - t0) / 1e9;
const tokens = [];
for (const [k, i] of Object.entries(t.getVocab(false))) tokens[i] = k;
fs.writeFileSync(process.argv[3], tokens.join('\n') + '\n');
console.error(`hf_seconds ${s}`);
