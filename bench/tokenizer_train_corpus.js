// tokenizer_train_corpus.js — the benchmark corpus of bench/tokenizer_train.sh as one text file,
// read with JSON.parse: SQuAD v1.1 dev contexts, COVID-QA contexts, BEIR SciFact title + text.
// usage: node tokenizer_train_corpus.js SQUAD.json COVIDQA.json SCIFACT_corpus.jsonl OUT.txt
const fs = require('fs');
const [squad, covid, scifact, out] = process.argv.slice(2);
const contexts = f => JSON.parse(fs.readFileSync(f, 'utf8')).data.flatMap(a => a.paragraphs.map(p => p.context));
const beir = fs.readFileSync(scifact, 'utf8').split('\n').filter(Boolean).map(l => JSON.parse(l))
  .map(d => d.title ? d.title + '\n' + d.text : d.text);
fs.writeFileSync(out, contexts(squad).concat(contexts(covid), beir).join('\n') + '\n');
