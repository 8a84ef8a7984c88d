package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"idflow/workflows/process"
)

func statusCommand(env *environment) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status WORKFLOW_ID",
		Short: "Show a workflow's current state (its status query)",
		Args:  args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, ids []string) error {
			c, err := env.client(cmd.Context())
			if err != nil {
				return err
			}
			value, err := c.QueryWorkflow(cmd.Context(), ids[0], "", process.StatusQuery)
			if err != nil {
				return workflowError("no status", ids[0], env.namespace(), err)
			}
			var raw json.RawMessage
			if err := value.Get(&raw); err != nil {
				return fmt.Errorf("decode status: %w", err)
			}
			if asJSON {
				var out bytes.Buffer
				if err := json.Indent(&out, raw, "", "  "); err != nil {
					return err
				}
				_, err := fmt.Fprintln(cmd.OutOrStdout(), out.String())
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "workflow: %s\nui: %s\n", ids[0], env.workflowURL(ids[0]))
			return printReadable(cmd.OutOrStdout(), raw)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the raw status as JSON")
	return cmd
}

// printReadable prints a JSON document as indented "key: value" lines,
// keeping the order of the workflow's own fields, leaving out empty ones and
// saying how far each timestamp is from now.
func printReadable(w io.Writer, raw json.RawMessage) error {
	return readablePrinter{w: w, now: time.Now(), loc: time.Local}.print(raw)
}

// readablePrinter prints a status for a person at a terminal: lists as
// "- " items, objects in lists as indented blocks, no empty values,
// timestamps in local time with how long ago (or, while the process is
// open, how long until), the waits as sentences, and the error of a failed
// process right under its outcome.
type readablePrinter struct {
	w   io.Writer
	now time.Time
	loc *time.Location
	// open: the process may still move (pending or challenged, or no
	// outcome at all); only then are future times counted down.
	open bool
}

// node is a parsed JSON value that keeps the order of object keys.
type node struct {
	object, array bool
	keys          []string // of an object, in order
	kids          []*node
	scalar        any // string, json.Number or bool
}

func (p readablePrinter) print(raw json.RawMessage) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	root, err := parseNode(dec)
	if err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("status: trailing data after the JSON value")
	}
	root = prune(root)
	if root == nil {
		return nil
	}
	outcome, _ := root.field("outcome").text()
	p.open = outcome == "" || process.Outcome(outcome).Open()
	if !root.object {
		p.node(root, 0)
		return nil
	}
	failed := process.Outcome(outcome) == process.OutcomeFailed
	for i, key := range root.keys {
		switch {
		case key == "error" && failed:
			continue // printed under the outcome
		case key == "waiting" && root.kids[i].array:
			p.waits(root.kids[i])
			continue
		}
		p.field(key, root.kids[i], 0)
		if key == "outcome" && failed {
			text, _ := root.field("error").text()
			if text == "" {
				text = "(no error text recorded; see the workflow in the UI)"
			}
			fmt.Fprintf(p.w, "error: %s\n", text)
		}
	}
	return nil
}

func parseNode(dec *json.Decoder) (*node, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'), json.Delim('['):
		n := &node{object: tok == json.Delim('{'), array: tok == json.Delim('[')}
		for dec.More() {
			if n.object {
				k, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key, ok := k.(string)
				if !ok {
					return nil, fmt.Errorf("status: object key %v is not a string", k)
				}
				n.keys = append(n.keys, key)
			}
			kid, err := parseNode(dec)
			if err != nil {
				return nil, err
			}
			n.kids = append(n.kids, kid)
		}
		if _, err := dec.Token(); err != nil { // the closing delimiter
			return nil, err
		}
		return n, nil
	case nil:
		return &node{}, nil
	}
	return &node{scalar: tok}, nil
}

// prune drops nulls, empty strings and the objects and lists left empty.
func prune(n *node) *node {
	if !n.object && !n.array {
		if n.scalar == nil || n.scalar == "" {
			return nil
		}
		return n
	}
	out := &node{object: n.object, array: n.array}
	for i, kid := range n.kids {
		if kid = prune(kid); kid != nil {
			out.kids = append(out.kids, kid)
			if n.object {
				out.keys = append(out.keys, n.keys[i])
			}
		}
	}
	if len(out.kids) == 0 {
		return nil
	}
	return out
}

// field is an object's value under key, nil when there is none.
func (n *node) field(key string) *node {
	if n == nil || !n.object {
		return nil
	}
	for i, k := range n.keys {
		if k == key {
			return n.kids[i]
		}
	}
	return nil
}

// text is a string scalar's value.
func (n *node) text() (string, bool) {
	if n == nil {
		return "", false
	}
	s, ok := n.scalar.(string)
	return s, ok
}

// field prints "key: value", or "key:" and the value's lines below it.
func (p readablePrinter) field(key string, n *node, depth int) {
	indent := strings.Repeat("  ", depth)
	if !n.object && !n.array {
		fmt.Fprintf(p.w, "%s%s: %s\n", indent, key, p.scalar(n.scalar))
		return
	}
	fmt.Fprintf(p.w, "%s%s:\n", indent, key)
	p.node(n, depth+1)
}

// node prints an object's fields or a list's items at depth.
func (p readablePrinter) node(n *node, depth int) {
	indent := strings.Repeat("  ", depth)
	switch {
	case n.object:
		for i, key := range n.keys {
			p.field(key, n.kids[i], depth)
		}
	case n.array:
		for _, item := range n.kids {
			p.item(item, depth, indent)
		}
	default:
		fmt.Fprintf(p.w, "%s%s\n", indent, p.scalar(n.scalar))
	}
}

// item prints one list item: "- value", or an object (or list) as a block
// whose first line follows the dash.
func (p readablePrinter) item(item *node, depth int, indent string) {
	if !item.object && !item.array {
		fmt.Fprintf(p.w, "%s- %s\n", indent, p.scalar(item.scalar))
		return
	}
	var block bytes.Buffer
	sub := p
	sub.w = &block
	sub.node(item, depth+1)
	inner := strings.Repeat("  ", depth+1)
	_, _ = io.WriteString(p.w, indent+"- "+strings.TrimPrefix(block.String(), inner))
}

// scalar prints a value; a timestamp in local time, with how far it is from now.
func (p readablePrinter) scalar(v any) string {
	s, ok := v.(string)
	if !ok {
		return fmt.Sprint(v)
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	return t.In(p.loc).Format("2006-01-02 15:04:05 MST") + p.relative(t)
}

// relative says " (5m ago)", or while the process is open " (in 2d 3h)";
// a finished process counts nothing down.
func (p readablePrinter) relative(t time.Time) string {
	d := p.now.Sub(t)
	switch {
	case d >= 0:
		return " (" + humanDuration(d) + " ago)"
	case p.open:
		return " (in " + humanDuration(-d) + ")"
	}
	return ""
}

// waits prints what the process waits for, one sentence a wait:
// "SMS code (submit-sms-code update) from person, until 15:04 (in 12m)".
func (p readablePrinter) waits(list *node) {
	var lines []string
	for _, w := range list.kids {
		what, _ := w.field("for").text()
		line := what
		if from, _ := w.field("from").text(); from != "" {
			line += " from " + from
		}
		if until, _ := w.field("until").text(); until != "" {
			line += ", until " + p.clock(until)
		}
		lines = append(lines, strings.TrimSpace(line))
	}
	if len(lines) == 1 {
		fmt.Fprintf(p.w, "waiting: %s\n", lines[0])
		return
	}
	fmt.Fprintln(p.w, "waiting:")
	for _, line := range lines {
		fmt.Fprintf(p.w, "  - %s\n", line)
	}
}

// clock is a deadline as the time of day when it is today, else with its date.
func (p readablePrinter) clock(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	local, now := t.In(p.loc), p.now.In(p.loc)
	layout := "2006-01-02 15:04"
	if local.YearDay() == now.YearDay() && local.Year() == now.Year() {
		layout = "15:04"
	}
	return local.Format(layout) + p.relative(t)
}

// humanDuration is d in its two largest units: 2d 3h, 5h 10m, 12m, 40s.
func humanDuration(d time.Duration) string {
	d = d.Round(time.Second)
	const day = 24 * time.Hour
	two := func(big, small int64, bigUnit, smallUnit string) string {
		if small == 0 {
			return fmt.Sprintf("%d%s", big, bigUnit)
		}
		return fmt.Sprintf("%d%s %d%s", big, bigUnit, small, smallUnit)
	}
	switch {
	case d >= day:
		return two(int64(d/day), int64(d%day/time.Hour), "d", "h")
	case d >= time.Hour:
		return two(int64(d/time.Hour), int64(d%time.Hour/time.Minute), "h", "m")
	case d >= 10*time.Minute:
		return fmt.Sprintf("%dm", int64(d/time.Minute))
	case d >= time.Minute:
		return two(int64(d/time.Minute), int64(d%time.Minute/time.Second), "m", "s")
	}
	return fmt.Sprintf("%ds", int64(d/time.Second))
}
