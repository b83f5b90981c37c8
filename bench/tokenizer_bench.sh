#!/bin/sh
# tokenizer_bench.sh — encoding throughput of needle's tokenizers against Hugging Face's
# tokenizers (the Rust library, through its Node binding: npm package tokenizers@0.23.2,
# installed under bench/out/hf on first use) on the 2,067 SQuAD v1.1 dev contexts, with 1 and
# 2 threads, for bert-base-uncased (WordPiece) and roberta-base (byte-level BPE). Both sides
# encode the same texts with special tokens and offsets, best of ROUNDS; ratio = needle / HF.
# OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are unset for both sides alike.
# usage: bench/tokenizer_bench.sh [SQUAD_JSON] [ROUNDS]
set -e
cd "$(dirname "$0")/.."
SQUAD=${1:-../shared/data/squad-v1.1/dev-v1.1.json}
[ -f "$SQUAD" ] || SQUAD=/work/shared/data/squad-v1.1/dev-v1.1.json
ROUNDS=${2:-5}
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
make -s bench
HF=bench/out/hf
if [ ! -d "$HF/node_modules/tokenizers" ]; then
    mkdir -p "$HF"
    npm install --silent --prefix "$HF" tokenizers@0.23.2 >/dev/null
fi
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-18s %7s %12s %12s %14s %14s %8s\n' tokenizer threads "needle MB/s" "HF MB/s" "needle tok/s" "HF tok/s" ratio
for model in bert-base-uncased roberta-base; do
    tok=tests/fixtures/tokenizers/$model/tokenizer.json
    for threads in 1 2; do
        n=$(OMP_NUM_THREADS=$threads build/bench/tokenizer_bench "$SQUAD" "$tok" "$threads" "$ROUNDS")
        h=$(RAYON_NUM_THREADS=$threads NODE_PATH="$HF/node_modules" node bench/tokenizer_bench_hf.js "$SQUAD" "$tok" "$threads" "$ROUNDS")
        nm=$(echo "$n" | sed 's/.*"mb_per_s": *\([0-9.]*\).*/\1/')
        hm=$(echo "$h" | sed 's/.*"mb_per_s": *\([0-9.]*\).*/\1/')
        nt=$(echo "$n" | sed 's/.*"tokens_per_s": *\([0-9]*\).*/\1/')
        ht=$(echo "$h" | sed 's/.*"tokens_per_s": *\([0-9]*\).*/\1/')
        nk=$(echo "$n" | sed 's/.*"tokens": *\([0-9]*\).*/\1/')
        hk=$(echo "$h" | sed 's/.*"tokens": *\([0-9]*\).*/\1/')
        [ "$nk" = "$hk" ] || { echo "token counts differ: needle $nk, HF $hk" >&2; exit 1; }
        printf '%-18s %7s %12s %12s %14s %14s %8s\n' $model $threads $nm $hm $nt $ht "$(echo "$nm $hm" | awk '{printf "%.2fx", $1/$2}')"
    done
done
