package bootentry

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// command is one simple command of a GRUB script: its words after quote
// removal, and the line it starts on.
type command struct {
	words []string
	line  int
}

// maxScriptBytes caps how much of a grub.cfg is read: real ones are a few
// tens of kilobytes; a bigger file is not a grub.cfg boot-guard should trust.
const maxScriptBytes = 8 << 20

// lexScript splits a GRUB script into commands, following the shell-like
// rules of GRUB's manual ("Shell-like scripting"): words separated by blanks;
// newline and ';' end a command; '#' at the start of a word starts a comment;
// single quotes keep everything literally; double quotes keep everything but
// a backslash before '$', '"', '\\' or a newline; an unquoted backslash
// quotes the next character; unquoted '{' and '}' are words of their own
// (except in "${...}", which stays part of its word, unexpanded).
//
// It is one function, longer than the usual limit, on purpose: it is a
// lexer, one loop over the runes with one case per kind of character, and
// each quoting context (single quotes, double quotes, a backslash, "${") an
// inner loop over the same stream; every case shares the current word,
// command, line number and byte count, which split-up pieces would have to
// pass back and forth.
func lexScript(r io.Reader, name string) ([]command, error) {
	br := bufio.NewReader(io.LimitReader(r, maxScriptBytes+1))
	var (
		cmds     []command
		cur      command
		word     strings.Builder
		haveWord bool
		line     = 1
		total    int
	)
	endWord := func() {
		if haveWord {
			if len(cur.words) == 0 {
				cur.line = line
			}
			cur.words = append(cur.words, word.String())
			word.Reset()
			haveWord = false
		}
	}
	endCmd := func() {
		endWord()
		if len(cur.words) > 0 {
			cmds = append(cmds, cur)
		}
		cur = command{}
	}
	next := func() (rune, error) {
		c, n, err := br.ReadRune()
		total += n
		if total > maxScriptBytes {
			return 0, fmt.Errorf("%s: larger than %d bytes: not a grub.cfg boot-guard will read", name, maxScriptBytes)
		}
		return c, err
	}
	for {
		c, err := next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: line %d: %w", name, line, err)
		}
		switch {
		case c == '\n':
			endCmd()
			line++
		case c == ';':
			endCmd()
		case c == ' ' || c == '\t' || c == '\r':
			endWord()
		case c == '#' && !haveWord:
			for {
				c, err = next()
				if err != nil || c == '\n' {
					break
				}
			}
			if err == io.EOF {
				endCmd()
				return cmds, nil
			}
			if err != nil {
				return nil, fmt.Errorf("%s: line %d: %w", name, line, err)
			}
			endCmd()
			line++
		case (c == '{' || c == '}') && !haveWord:
			if len(cur.words) == 0 {
				cur.line = line
			}
			cur.words = append(cur.words, string(c))
		case c == '}' && haveWord:
			// "foo}" ends a word and closes a block ("... }" written tight).
			endWord()
			cur.words = append(cur.words, "}")
		case c == '\'':
			haveWord = true
			startLine := line
			for {
				c, err = next()
				if err != nil {
					return nil, fmt.Errorf("%s: line %d: unterminated single quote", name, startLine)
				}
				if c == '\'' {
					break
				}
				if c == '\n' {
					line++
				}
				word.WriteRune(c)
			}
		case c == '"':
			haveWord = true
			startLine := line
			for {
				c, err = next()
				if err != nil {
					return nil, fmt.Errorf("%s: line %d: unterminated double quote", name, startLine)
				}
				if c == '"' {
					break
				}
				if c == '\\' {
					n, err := next()
					if err != nil {
						return nil, fmt.Errorf("%s: line %d: unterminated double quote", name, startLine)
					}
					switch n {
					case '$', '"', '\\':
						word.WriteRune(n)
					case '\n':
						line++
					default:
						word.WriteRune('\\')
						word.WriteRune(n)
					}
					continue
				}
				if c == '\n' {
					line++
				}
				word.WriteRune(c)
			}
		case c == '\\':
			n, err := next()
			if err != nil {
				break
			}
			if n == '\n' {
				line++
				continue
			}
			haveWord = true
			word.WriteRune(n)
		case c == '$':
			haveWord = true
			word.WriteRune(c)
			// Keep ${...} whole so its braces are not blocks.
			if b, _ := br.Peek(1); len(b) == 1 && b[0] == '{' {
				for {
					c, err = next()
					if err != nil {
						return nil, fmt.Errorf("%s: line %d: unterminated ${", name, line)
					}
					word.WriteRune(c)
					if c == '}' {
						break
					}
				}
			}
		default:
			haveWord = true
			word.WriteRune(c)
		}
	}
	endCmd()
	return cmds, nil
}
