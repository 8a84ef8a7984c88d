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
	return readablePrinter{w: w, now: time.Now()}.print(raw)
}

type readablePrinter struct {
	w   io.Writer
	now time.Time
}

func (p readablePrinter) print(raw json.RawMessage) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	return p.value(dec, 0, "")
}

func (p readablePrinter) value(dec *json.Decoder, depth int, key string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	indent := strings.Repeat("  ", depth)
	label := ""
	if key != "" {
		label = key + ":"
	}
	switch tok {
	case json.Delim('{'), json.Delim('['):
		if label != "" {
			fmt.Fprintf(p.w, "%s%s\n", indent, label)
		}
		child := depth
		if key != "" {
			child++
		}
		for i := 0; dec.More(); i++ {
			childKey := fmt.Sprintf("- [%d]", i)
			if tok == json.Delim('{') {
				k, err := dec.Token()
				if err != nil {
					return err
				}
				childKey = k.(string) // a key, once Token succeeds
			}
			if err := p.value(dec, child, childKey); err != nil {
				return err
			}
		}
		_, err = dec.Token() // closing delimiter
		return err
	case nil, "":
		return nil // empty values are left out
	default:
		_, err = fmt.Fprintf(p.w, "%s%s %v%s\n", indent, label, tok, p.relative(tok))
		return err
	}
}

// relative says " (3m12s ago)" or " (in 9m)" after a timestamp, else "".
func (p readablePrinter) relative(tok json.Token) string {
	s, ok := tok.(string)
	if !ok {
		return ""
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return ""
	}
	d := p.now.Sub(t).Round(time.Second)
	if d >= 0 {
		return fmt.Sprintf(" (%s ago)", d)
	}
	return fmt.Sprintf(" (in %s)", -d)
}
