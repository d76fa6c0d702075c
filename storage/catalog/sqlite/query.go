package sqlite

import (
	"strings"
	"unicode"

	"sohoa/pipeline/vntext"
)

// term is one thing a search asks for: a word, or a phrase of words that
// must follow each other, all folded. With prefix set, the last word
// matches any word it begins.
type term struct {
	words  []string
	prefix bool
}

// parseQuery reads what a clerk typed: words (all must match), "quoted
// phrases", and a trailing * for a prefix. Everything else (FTS5
// operators, brackets, stray quotes, punctuation) is taken as text or
// dropped, so no input can make an FTS5 syntax error.
func parseQuery(q string) []term {
	var (
		terms []term
		seen  = map[string]bool{}
	)
	add := func(raw string, prefix bool) {
		words := tokenize(vntext.Fold(raw))
		if len(words) == 0 {
			return
		}
		ws := make([]string, len(words))
		for i, w := range words {
			ws[i] = w.text
		}
		t := term{words: ws, prefix: prefix}
		if key := t.fts(); !seen[key] {
			seen[key] = true
			terms = append(terms, t)
		}
	}
	rs := []rune(q)
	for i := 0; i < len(rs); {
		switch r := rs[i]; {
		case unicode.IsSpace(r):
			i++
		case r == '"':
			j := i + 1
			for j < len(rs) && rs[j] != '"' {
				j++
			}
			phrase := string(rs[i+1 : j])
			j++ // past the closing quote, or the end
			prefix := j < len(rs) && rs[j] == '*'
			add(phrase, prefix)
			i = j
		default:
			j := i
			for j < len(rs) && !unicode.IsSpace(rs[j]) && rs[j] != '"' {
				j++
			}
			word := string(rs[i:j])
			add(word, strings.HasSuffix(word, "*"))
			i = j
		}
	}
	return terms
}

// fts renders t in FTS5 query syntax. Words hold only letters and digits,
// so quoting them is enough to keep them from being read as operators.
func (t term) fts() string {
	s := `"` + strings.Join(t.words, " ") + `"`
	if t.prefix {
		s += "*"
	}
	return s
}

// matchExpr is the FTS5 MATCH expression for terms: all of them.
func matchExpr(terms []term) string {
	parts := make([]string, len(terms))
	for i, t := range terms {
		parts[i] = t.fts()
	}
	return strings.Join(parts, " AND ")
}

// word is one token of folded text and where it sits, in runes.
type word struct {
	text       string
	start, end int
}

// tokenize splits folded text into words the way FTS5's unicode61
// tokenizer does with its default categories: letters, numbers and
// private-use characters make words; everything else separates them.
func tokenize(folded string) []word {
	var (
		words []word
		b     strings.Builder
		start = -1
		pos   int
	)
	for _, r := range folded {
		if isWordRune(r) {
			if start < 0 {
				start = pos
			}
			b.WriteRune(r)
		} else if start >= 0 {
			words = append(words, word{text: b.String(), start: start, end: pos})
			b.Reset()
			start = -1
		}
		pos++
	}
	if start >= 0 {
		words = append(words, word{text: b.String(), start: start, end: pos})
	}
	return words
}

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Co, r)
}
