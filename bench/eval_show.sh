# eval_show.sh — sourced by the SciFact benchmark scripts: one line of measures from a
# `needle retriever eval` JSON result.
# show LABEL FILE [COMPONENT]: nDCG@10, recall@100 and MRR@10 of the result in FILE, or of its
# "bm25" / "dense" component object (a --hybrid result holds both beside the fused measures).
show() {
    if [ -n "$3" ]; then sed "s/.*\"$3\":{\([^}]*\)}.*/\1/" "$2"; else sed 's/,"bm25":{.*//' "$2"; fi |
        sed -n 's/.*"recall_100":\([0-9.e-]*\).*"ndcg_cut_10":\([0-9.e-]*\).*"mrr_10":\([0-9.e-]*\).*/\2 \1 \3/p' |
        awk -v l="$1" '{ printf "  %-30s nDCG@10 %.4f  recall@100 %.4f  MRR@10 %.4f\n", l, $1, $2, $3 }'
}
