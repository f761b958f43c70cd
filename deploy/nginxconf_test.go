package deploy

import "strings"

// block is one nginx block: its name and arguments ("upstream portal"), its
// simple directives and the blocks inside it. Enough of nginx's grammar to
// check a configuration: words, quoted strings, comments, ';', '{', '}'.
type block struct {
	name       string
	args       []string
	directives [][]string
	children   []*block
}

// nginx parses a configuration into its top-level block.
func nginx(src string) *block {
	var toks []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			toks = append(toks, cur.String())
			cur.Reset()
		}
	}
	for i := 0; i < len(src); i++ {
		ch := src[i]
		switch {
		case ch == '#':
			for i < len(src) && src[i] != '\n' {
				i++
			}
			flush()
		case ch == '"' || ch == '\'':
			j := strings.IndexByte(src[i+1:], ch)
			if j < 0 {
				j = len(src) - i - 1
			}
			cur.WriteString(src[i+1 : i+1+j])
			i += j + 1
		case ch == ';' || ch == '{' || ch == '}':
			flush()
			toks = append(toks, string(ch))
		case ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r':
			flush()
		default:
			cur.WriteByte(ch)
		}
	}
	flush()
	top := &block{name: "main"}
	stack := []*block{top}
	var words []string
	for _, t := range toks {
		b := stack[len(stack)-1]
		switch t {
		case ";":
			if len(words) > 0 {
				b.directives = append(b.directives, words)
			}
			words = nil
		case "{":
			nb := &block{}
			if len(words) > 0 {
				nb.name, nb.args = words[0], words[1:]
			}
			b.children = append(b.children, nb)
			stack = append(stack, nb)
			words = nil
		case "}":
			if len(stack) > 1 {
				stack = stack[:len(stack)-1]
			}
			words = nil
		default:
			words = append(words, t)
		}
	}
	return top
}

// blocks returns every block named name, at any depth.
func (b *block) blocks(name string) []*block {
	var out []*block
	for _, c := range b.children {
		if c.name == name {
			out = append(out, c)
		}
		out = append(out, c.blocks(name)...)
	}
	return out
}

// all returns every directive at any depth, block headers included.
func (b *block) all() [][]string {
	out := append([][]string{}, b.directives...)
	for _, c := range b.children {
		out = append(out, append([]string{c.name}, c.args...))
		out = append(out, c.all()...)
	}
	return out
}
