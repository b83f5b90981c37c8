# scifact_setup.sh — sourced by the SciFact benchmark scripts after they set D (the BEIR
# folder), OUT and THREADS: the environment every side runs in (OPENBLAS_CORETYPE and
# OPENBLAS_L2_SIZE unset, THREADS > 0 pinning OpenMP), ./needle built, OUT made, EV the
# evaluation's data options, and show().
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
[ "$THREADS" -gt 0 ] && export OMP_NUM_THREADS=$THREADS
[ -x ./needle ] || make -s needle
mkdir -p "$OUT"
EV="--corpus $D/corpus.jsonl --queries $D/queries.jsonl --qrels $D/qrels/test.tsv"

# show LABEL FILE [COMPONENT]: nDCG@10, recall@100 and MRR@10 of a `needle retriever eval`
# result in FILE, or of its "bm25" / "dense" component object (a --hybrid result holds both
# beside the fused measures).
show() {
    if [ -n "$3" ]; then sed "s/.*\"$3\":{\([^}]*\)}.*/\1/" "$2"; else sed 's/,"bm25":{.*//' "$2"; fi |
        sed -n 's/.*"recall_100":\([0-9.e-]*\).*"ndcg_cut_10":\([0-9.e-]*\).*"mrr_10":\([0-9.e-]*\).*/\2 \1 \3/p' |
        awk -v l="$1" '{ printf "  %-30s nDCG@10 %.4f  recall@100 %.4f  MRR@10 %.4f\n", l, $1, $2, $3 }'
}
