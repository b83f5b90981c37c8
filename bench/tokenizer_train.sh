#!/bin/sh
# tokenizer_train.sh — training a 30,000-token WordPiece vocabulary (uncased) on SQuAD v1.1 dev
# contexts + COVID-QA contexts + BEIR SciFact (title + text), side by side in one run:
#   reference   Hugging Face tokenizers 0.23.2 (Rust, Node binding), Tokenizer.train on the
#               corpus as one text file, default WordPieceTrainer (vocab_size 30000,
#               min_frequency 0, no special tokens, no alphabet limit); its threads: all cores;
#   needle      `needle tokenizer train` with the same settings (plus the 5 BERT special tokens,
#               so --vocab-size 30005 gives the same 30000 learnt tokens), on the same text
#               file, and on the three original files (SQuAD JSON, SQuAD-format JSON, BEIR
#               folder: includes parsing them);
#   identity    needle again with HF's numbering of the ## pieces (--continuing-order): its
#               vocabulary after the special tokens must equal HF's, line for line.
# Each timing is the median of RUNS runs (default 3). OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are
# unset for every side alike (neither uses BLAS here).
# Usage: bench/tokenizer_train.sh   (from the repository root after `make`; needs
#   npm install --prefix /tmp/hf tokenizers@0.23.2, or NODE_PATH pointing at such node_modules)
set -e
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
DATA=${DATA:-/work/shared/data}
RUNS=${RUNS:-3}
export NODE_PATH=${NODE_PATH:-/tmp/hf/node_modules}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
SQUAD=$DATA/squad-v1.1/dev-v1.1.json
COVID=$DATA/covid-qa/200423_covidQA.json
SCIFACT=$DATA/beir-scifact
node bench/tokenizer_train_corpus.js $SQUAD $COVID $SCIFACT/corpus.jsonl $T/corpus.txt
echo "corpus: $(wc -c < $T/corpus.txt) bytes, $(nproc) cores"
median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
NEEDLE="./needle tokenizer train --vocab-size 30005 --min-frequency 0 --limit-alphabet -1"
for r in $(seq "$RUNS"); do
    node bench/tokenizer_train_hf.js $T/corpus.txt $T/hf.vocab.txt 2>&1 >/dev/null | grep hf_seconds | awk '{ print $2 }' >> $T/hf.s
    t0=$(date +%s.%N); $NEEDLE --corpus $T/corpus.txt --format text --out $T/n_text > $T/n_text.json 2>/dev/null
    t1=$(date +%s.%N); echo "$t1 - $t0" | bc -l >> $T/n_text.s
    t0=$(date +%s.%N); $NEEDLE --corpus $SQUAD $COVID $SCIFACT --out $T/n_files > $T/n_files.json 2>/dev/null
    t1=$(date +%s.%N); echo "$t1 - $t0" | bc -l >> $T/n_files.s
done
hf=$(median < $T/hf.s); nt=$(median < $T/n_text.s); nf=$(median < $T/n_files.s)
echo "hf tokenizers (text file):      $hf s, $(wc -l < $T/hf.vocab.txt) tokens"
echo "needle (same text file):        $nt s   ratio hf/needle $(echo "$hf / $nt" | bc -l | cut -c1-5)"
echo "needle (JSON/BEIR files):       $nf s   ratio hf/needle $(echo "$hf / $nf" | bc -l | cut -c1-5)"
echo "needle summary: $(cat $T/n_text.json)"
$NEEDLE --corpus $T/corpus.txt --format text --continuing-order $T/hf.vocab.txt --out $T/n_same > /dev/null 2>&1
if tail -n +6 $T/n_same/vocab.txt | cmp -s - $T/hf.vocab.txt; then
    echo "identity: needle with HF's ## numbering = HF's vocabulary ($(wc -l < $T/hf.vocab.txt) tokens, line for line)"
else
    echo "identity: DIFFERENT"; tail -n +6 $T/n_same/vocab.txt | diff - $T/hf.vocab.txt | head -5
fi
if tail -n +6 $T/n_text/vocab.txt | sort | cmp -s - "$(sort $T/hf.vocab.txt > $T/hf.sorted; echo $T/hf.sorted)"; then
    echo "same token set with needle's own (code-point) numbering: yes"
else
    echo "same token set with needle's own (code-point) numbering: no, $(tail -n +6 $T/n_text/vocab.txt | sort | comm -23 - $T/hf.sorted | wc -l) tokens differ"
fi
