package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"idflow/internal/validate"
)

func documentsCommand(env *environment) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "documents",
		Short: "Store documents in the document store and read them back",
	}
	cmd.AddCommand(documentsPutCommand(env), documentsGetCommand(env))
	return cmd
}

func documentsPutCommand(env *environment) *cobra.Command {
	var owner, mediaType string
	cmd := &cobra.Command{
		Use:   "put FILE...",
		Short: "Upload files; prints one line per file: ID SHA256 FILE",
		Args:  args(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, files []string) error {
			gw, err := env.gateway()
			if err != nil {
				return err
			}
			for _, file := range files {
				doc, err := gw.putFile(cmd.Context(), file, owner, mediaType)
				if err != nil {
					return withFile(file, err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s\t%s\t%s\n", doc.ID, doc.SHA256, file)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&owner, "owner", "", "owner of the documents (default \"api\")")
	cmd.Flags().StringVar(&mediaType, "media-type", "", "media type (default: from the file extension)")
	return cmd
}

func documentsGetCommand(env *environment) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "get ID -o FILE",
		Short: "Download a document (its SHA-256 is checked); -o - writes to stdout",
		Args:  args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, ids []string) error {
			if output == "" {
				return invalidInput(validate.FieldErrors{{Field: "--output", Message: "want a file name, or - for stdout"}})
			}
			gw, err := env.gateway()
			if err != nil {
				return err
			}
			n, err := gw.getFile(cmd.Context(), ids[0], output)
			if err != nil {
				return err
			}
			if output != "-" {
				fmt.Fprintf(cmd.ErrOrStderr(), "%s: %d bytes written to %s\n", ids[0], n, output)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "file to write (required; - for stdout)")
	_ = cmd.MarkFlagRequired("output")
	return cmd
}

// withFile names the file an error is about, unless the error already does
// (an *os.PathError: "open FILE: no such file or directory").
func withFile(file string, err error) error {
	var pathErr *os.PathError
	if errors.As(err, &pathErr) {
		return err
	}
	return fmt.Errorf("%s: %w", file, err)
}
