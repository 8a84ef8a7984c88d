package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"idflow/internal/validate"
)

// The agent permissions FNS knows (§1.13).
var fnsPermissions = []string{"consumer_identify", "create_new_agent"}

// fnsAgentRequest is the body of POST /v1/fns/agents.
type fnsAgentRequest struct {
	Username             string   `json:"username"`
	Password             string   `json:"password"`
	LastName             string   `json:"last_name"`
	FirstName            string   `json:"first_name"`
	MiddleName           string   `json:"middle_name"`
	Email                string   `json:"email,omitempty"`
	Phone                string   `json:"phone"`
	UnstructuredIdentity string   `json:"unstructured_identity"`
	SNILS                string   `json:"snils"`
	Position             string   `json:"position"`
	Company              int64    `json:"company"`
	Permissions          []string `json:"permissions"`
	IdentificationPoints []int64  `json:"identification_points"`
}

// fnsAgent is an agent as the gateway lists it (never its token).
type fnsAgent struct {
	ID                   string   `json:"id"`
	Username             string   `json:"username"`
	LastName             string   `json:"last_name"`
	FirstName            string   `json:"first_name"`
	MiddleName           string   `json:"middle_name"`
	IsActive             bool     `json:"is_active"`
	Permissions          []string `json:"permissions"`
	IdentificationPoints []int64  `json:"identification_points"`
}

func fnsAgentsCommand(env *environment) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "agents",
		Short: "Identification agents: create one, list them, block one",
	}
	cmd.AddCommand(fnsAgentsCreateCommand(env), fnsAgentsListCommand(env), fnsAgentsBlockCommand(env))
	return cmd
}

func fnsAgentsCreateCommand(env *environment) *cobra.Command {
	var req fnsAgentRequest
	var passwordFile, company string
	var points []string
	cmd := &cobra.Command{
		Use: "create --username U --password-file F --last-name L --first-name F --middle-name M --phone 7XXXXXXXXXX " +
			"--passport-text TEXT --snils S --position P --company N --permission consumer_identify --point N",
		Short: "Create an identification agent at FNS (through the gateway, which keeps its token)",
		Long: `Checks every field first (SNILS checksum, phone, the required flags; nothing is sent
while one is wrong), then creates the agent at FNS under the partner account. The
gateway keeps the agent's token; the starter never sees it and never prints the
password. Name the agent by the printed id in 'go run ./starter fns agent-identify'.`,
		Example: `  go run ./starter fns agents create --username agent1 --password-file agent1.pw \
    --last-name Агентов --first-name Агент --middle-name Агентович --phone 79012345678 \
    --passport-text "4500 023 Выдан ПВД ОВД 12.05.2011" --snils 11223344595 --position оператор \
    --company 1 --permission consumer_identify --point 1`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			passwordGiven := cmd.Flags().Changed("password")
			if err := checkAgentRequest(&req, passwordFile, passwordGiven, company, points); err != nil {
				return err
			}
			return createAgent(cmd, env, req)
		},
	}
	f := cmd.Flags()
	f.StringVar(&req.Username, "username", "", "the agent's login at FNS")
	f.StringVar(&passwordFile, "password-file", "", "file holding the agent's password (its first line)")
	f.StringVar(&req.Password, "password", "", "the agent's password (discouraged: it stays in the shell history; use --password-file)")
	f.StringVar(&req.LastName, "last-name", "", "last name (фамилия)")
	f.StringVar(&req.FirstName, "first-name", "", "first name (имя)")
	f.StringVar(&req.MiddleName, "middle-name", "", "middle name (отчество)")
	f.StringVar(&req.Email, "email", "", "e-mail (optional)")
	f.StringVar(&req.Phone, "phone", "", "mobile phone, 7 and 10 digits; '+7 (901) 234-56-78' and '8 901 234 56 78' are accepted")
	f.StringVar(&req.UnstructuredIdentity, "passport-text", "", "the agent's identity document as free text (unstructured_identity)")
	f.StringVar(&req.SNILS, "snils", "", "SNILS, 11 digits (separators allowed)")
	f.StringVar(&req.Position, "position", "", "position (должность)")
	f.StringVar(&company, "company", "", "the partner's company id at FNS")
	f.StringArrayVar(&req.Permissions, "permission", nil, "a permission (repeat): "+strings.Join(fnsPermissions, ", "))
	f.StringArrayVar(&points, "point", nil, "an identification point id the agent works at (repeat)")
	return cmd
}

// checkAgentRequest normalizes the request, reads the password, and
// reports every bad field at once under its flag; no message holds a value.
func checkAgentRequest(req *fnsAgentRequest, passwordFile string, passwordGiven bool, company string, points []string) error {
	var errs validate.FieldErrors
	req.Username = strings.TrimSpace(req.Username)
	if req.Username == "" {
		errs.Add("--username", "required")
	}
	switch {
	case passwordGiven && passwordFile != "":
		errs.Add("--password", "not with --password-file (give one of them)")
	case passwordFile != "":
		b, err := os.ReadFile(passwordFile)
		if err != nil {
			errs.Add("--password-file", "cannot read "+passwordFile+" ("+pathReason(err)+")")
			break
		}
		line, _, _ := strings.Cut(string(b), "\n")
		if req.Password = strings.TrimRight(line, "\r"); req.Password == "" {
			errs.Add("--password-file", passwordFile+": the first line is empty")
		}
	case passwordGiven:
		if req.Password == "" {
			errs.Add("--password", "empty")
		}
	default:
		errs.Add("--password-file, --password", "one of them is required")
	}
	for _, f := range []struct {
		flag  string
		value *string
	}{{"--last-name", &req.LastName}, {"--first-name", &req.FirstName}, {"--middle-name", &req.MiddleName}} {
		if *f.value = strings.TrimSpace(*f.value); *f.value == "" {
			errs.Add(f.flag, "required")
		}
	}
	if req.Email = strings.TrimSpace(req.Email); req.Email != "" {
		if a, err := mail.ParseAddress(req.Email); err != nil || a.Address != req.Email {
			errs.Add("--email", "invalid format: want an address such as name@example.org")
		}
	}
	req.Phone = validate.NormalizePhoneFNS(req.Phone)
	errs.Check("--phone", validate.PhoneFNS(req.Phone))
	if req.UnstructuredIdentity = strings.TrimSpace(req.UnstructuredIdentity); req.UnstructuredIdentity == "" {
		errs.Add("--passport-text", "required")
	}
	req.SNILS = validate.NormalizeSNILS(strings.TrimSpace(req.SNILS))
	errs.Check("--snils", validate.SNILS(req.SNILS))
	if req.Position = strings.TrimSpace(req.Position); req.Position == "" {
		errs.Add("--position", "required")
	}
	if company == "" {
		errs.Add("--company", "required")
	} else if n, ok := positiveID(company); !ok {
		errs.Add("--company", "want a positive whole number")
	} else {
		req.Company = n
	}
	if len(req.Permissions) == 0 {
		errs.Add("--permission", "required: at least one of "+strings.Join(fnsPermissions, ", "))
	}
	for i, p := range req.Permissions {
		if req.Permissions[i] = strings.TrimSpace(p); !slices.Contains(fnsPermissions, req.Permissions[i]) {
			errs.Add(fmt.Sprintf("--permission #%d", i+1), "want one of "+strings.Join(fnsPermissions, ", "))
		}
	}
	if len(points) == 0 {
		errs.Add("--point", "required: at least one identification point")
	}
	req.IdentificationPoints = nil
	for i, p := range points {
		n, ok := positiveID(p)
		if !ok {
			errs.Add(fmt.Sprintf("--point #%d", i+1), "want a positive whole number")
			continue
		}
		req.IdentificationPoints = append(req.IdentificationPoints, n)
	}
	return invalidInput(errs)
}

// positiveID parses a positive decimal id.
func positiveID(s string) (int64, bool) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	return n, err == nil && n > 0
}

// pathReason is the reason of a file error without the path (the caller names it).
func pathReason(err error) string {
	var pathErr *os.PathError
	if errors.As(err, &pathErr) {
		return pathErr.Err.Error()
	}
	return err.Error()
}

func createAgent(cmd *cobra.Command, env *environment, req fnsAgentRequest) error {
	gw, err := env.gateway()
	if err != nil {
		return err
	}
	var out fnsAgent
	if err := gw.fnsCall(cmd.Context(), http.MethodPost, "/v1/fns/agents", req, http.StatusCreated, &out); err != nil {
		return fmt.Errorf("agent not created: %w", redactError(err, req.Password))
	}
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "agent: %s (%s)\n", out.ID, out.Username)
	fmt.Fprintf(w, "next: %s fns agent-identify WORKFLOW_ID --agent %s --passport-scan FILE\n", invocation, out.ID)
	return nil
}

// redactError replaces secret in err's message: a gateway or FNS message
// must not bring the password back to the terminal.
func redactError(err error, secret string) error {
	if err == nil || secret == "" || !strings.Contains(err.Error(), secret) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), secret, "[password]"))
}

func fnsAgentsListCommand(env *environment) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the agents FNS knows of the partner's company",
		Args:  args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			gw, err := env.gateway()
			if err != nil {
				return err
			}
			var out struct {
				Agents []fnsAgent `json:"agents"`
			}
			if err := gw.fnsCall(cmd.Context(), http.MethodGet, "/v1/fns/agents", nil, http.StatusOK, &out); err != nil {
				return fmt.Errorf("no agents listed: %w", err)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tUSERNAME\tNAME\tACTIVE\tPOINTS")
			for _, a := range out.Agents {
				name := strings.Join(strings.Fields(a.LastName+" "+a.FirstName+" "+a.MiddleName), " ")
				active := "no"
				if a.IsActive {
					active = "yes"
				}
				pts := make([]string, len(a.IdentificationPoints))
				for i, p := range a.IdentificationPoints {
					pts[i] = strconv.FormatInt(p, 10)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", a.ID, a.Username, name, active, strings.Join(pts, ","))
			}
			if len(out.Agents) == 0 {
				fmt.Fprintln(tw, "(none)")
			}
			return tw.Flush()
		},
	}
}

func fnsAgentsBlockCommand(env *environment) *cobra.Command {
	return &cobra.Command{
		Use:   "block ID",
		Short: "Block an agent at FNS (it can identify nobody after)",
		Args:  args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			if _, ok := positiveID(a[0]); !ok {
				return invalidInput(validate.FieldErrors{{Field: "ID", Message: "want the agent's id, a positive whole number (see 'go run ./starter fns agents list')"}})
			}
			gw, err := env.gateway()
			if err != nil {
				return err
			}
			var out struct {
				ID       string `json:"id"`
				IsActive bool   `json:"is_active"`
			}
			path := "/v1/fns/agents/" + url.PathEscape(strings.TrimSpace(a[0])) + "/block"
			if err := gw.fnsCall(cmd.Context(), http.MethodPost, path, nil, http.StatusOK, &out); err != nil {
				return fmt.Errorf("agent not blocked: %w", err)
			}
			if out.IsActive {
				return fmt.Errorf("agent not blocked: the gateway answered that agent %s is still active", out.ID)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "blocked: agent %s\n", out.ID)
			return nil
		},
	}
}

// fnsCall sends body (none when nil) as JSON and decodes the answer into out.
func (g *gatewayClient) fnsCall(ctx context.Context, method, path string, body any, want int, out any) error {
	var reader *bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		reader = bytes.NewReader(b)
	}
	var req *http.Request
	var err error
	if reader != nil {
		req, err = http.NewRequestWithContext(ctx, method, g.baseURL+path, reader)
	} else {
		req, err = http.NewRequestWithContext(ctx, method, g.baseURL+path, nil)
	}
	if err != nil {
		return err
	}
	if reader != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	err = g.do(req, want, out)
	var apiErr *apiError
	if errors.As(err, &apiErr) && apiErr.code == "fns_not_configured" {
		return fmt.Errorf("%w (the worker reaches FNS once IDFLOW_FNS_BASE_URL, IDFLOW_FNS_USERNAME and IDFLOW_FNS_PASSWORD "+
			"are set; 'go run ./worker -dev' uses its FNS sandbox)", err)
	}
	return err
}
