package sqlite

import (
	"strings"
	"unicode"

	"sohoa/pipeline/vntext"
)

// snippetWords is how many words a snippet shows.
const snippetWords = 20

// match is one place a term matched: words [first, last] of a text.
type match struct {
	term        int
	first, last int
}

// snippet cuts a window of about snippetWords words from the first of
// texts (in order of preference) that shows the most distinct terms, in
// the original accents, with the matches wrapped in [ and ]. It works on
// the folded text and maps back by rune offset: vntext.Fold keeps one rune
// of NFC text for one rune of folded text.
func snippet(texts []string, terms []term) string {
	var (
		best      string
		bestScore = -1
	)
	for _, text := range texts {
		if text == "" {
			continue
		}
		s, score := snippetOf(text, terms)
		if score > bestScore {
			best, bestScore = s, score
		}
		if score == len(terms) {
			break
		}
	}
	return best
}

// snippetOf returns the best window of text and how many distinct terms it
// shows.
func snippetOf(text string, terms []term) (string, int) {
	orig := []rune(vntext.NFC(text))
	words := tokenize(vntext.Fold(string(orig)))
	if len(words) == 0 {
		return "", 0
	}
	matches := findMatches(words, terms)

	// Try a window that starts a few words before each match and keep the
	// one showing the most distinct terms, then the most matches.
	start, score, count := 0, 0, 0
	lead := snippetWords / 4
	for _, m := range matches {
		s := max(0, min(m.first-lead, len(words)-snippetWords))
		e := s + snippetWords
		seen := map[int]bool{}
		n := 0
		for _, o := range matches {
			if o.first >= s && o.last < e {
				seen[o.term] = true
				n++
			}
		}
		if len(seen) > score || (len(seen) == score && n > count) {
			start, score, count = s, len(seen), n
		}
	}
	end := min(start+snippetWords, len(words))

	// Mark the runes of original text to wrap.
	from, to := words[start].start, words[end-1].end
	marked := make([]bool, to-from)
	for _, m := range matches {
		if m.first >= start && m.last < end {
			for i := words[m.first].start; i < words[m.last].end; i++ {
				marked[i-from] = true
			}
		}
	}

	var b strings.Builder
	if start > 0 {
		b.WriteString("… ")
	}
	open, space := false, false
	for i := from; i < to; i++ {
		r := orig[i]
		on := marked[i-from]
		if unicode.IsSpace(r) {
			// Collapse line breaks and runs of spaces; a space inside a
			// phrase match stays inside its brackets.
			if !on && open {
				b.WriteByte(']')
				open = false
			}
			space = true
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		if on && !open {
			b.WriteByte('[')
			open = true
		} else if !on && open {
			b.WriteByte(']')
			open = false
		}
		b.WriteRune(r)
	}
	if open {
		b.WriteByte(']')
	}
	if end < len(words) {
		b.WriteString(" …")
	}
	return b.String(), score
}

// findMatches finds every place a term matches words.
func findMatches(words []word, terms []term) []match {
	var ms []match
	for ti, t := range terms {
		n := len(t.words)
		for i := 0; i+n <= len(words); i++ {
			ok := true
			for j, w := range t.words {
				got := words[i+j].text
				if t.prefix && j == n-1 {
					ok = strings.HasPrefix(got, w)
				} else {
					ok = got == w
				}
				if !ok {
					break
				}
			}
			if ok {
				ms = append(ms, match{term: ti, first: i, last: i + n - 1})
			}
		}
	}
	return ms
}
