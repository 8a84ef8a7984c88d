package fnsregistration

import (
	"context"
	"time"

	"idflow/workflows/process"
)

const validOGRNIP = "321032700015430" // the document's example (L449)

// extraSignature registers the scenario-84 create on the suite's FNS: the
// workflow it makes is the certificate issuance the fake already plays.
func (s *fnsSuite) extraSignature(refusal string) *[]CreateExtraSignatureInput {
	var creates []CreateExtraSignatureInput
	s.register(CreateExtraSignatureActivity, func(_ context.Context, in CreateExtraSignatureInput) (CreateResult, error) {
		creates = append(creates, in)
		if refusal != "" {
			return CreateResult{Refusal: refusal}, nil
		}
		s.fns.identified = s.fns.now().Add(-issueTime) // the child's clock starts now
		return CreateResult{FNSWorkflowID: fnsCertificate}, nil
	})
	return &creates
}

func extraInput() ExtraSignatureInput {
	return ExtraSignatureInput{RequestID: "x1", ConsumerID: "5ccb259b-a804-4207-9dc7-b7ebc7a7e05e", EntrepreneurOGRNIP: validOGRNIP}
}

// TestExtraSignatureThroughTheSameWaits: app, then the scans (the update
// the registration answers too), then the certificate is recorded.
func (s *fnsSuite) TestExtraSignatureThroughTheSameWaits() {
	creates := s.extraSignature("")
	s.queryAt(5*time.Minute, func(st Status) {
		s.Equal(StageAwaitingApp, st.Stage, "wait-secret-key")
		s.Equal(fnsCertificate, st.CertificateWorkflowID)
	})
	scans := s.scansArrive(childAppTime + time.Hour)
	s.env.ExecuteWorkflow(FNSExtraSignature, extraInput())
	st := s.result()
	s.NoError(*scans)
	s.Equal(process.OutcomeAccepted, st.Outcome)
	s.Equal(ExtraSignatureWorkflowType, st.Process)
	s.Require().NotNil(st.Certificate)
	s.Equal("7c0f", st.Certificate.Serial)
	s.Require().Len(*creates, 1)
	s.Equal(validOGRNIP, (*creates)[0].EntrepreneurOGRNIP)
	s.NotEmpty((*creates)[0].ExternalID)
}

func (s *fnsSuite) TestExtraSignatureRefusedByFNSIsRejected() {
	s.extraSignature("consumer: Клиент не идентифицирован")
	s.env.ExecuteWorkflow(FNSExtraSignature, extraInput())
	st := s.result()
	s.Equal(process.OutcomeRejected, st.Outcome)
	s.Equal(ReasonRejectedByFNS, st.Reason)
	s.Contains(st.FNSMessage, "не идентифицирован")
}

func (s *fnsSuite) TestExtraSignatureScansExpire() {
	s.extraSignature("")
	s.env.ExecuteWorkflow(FNSExtraSignature, extraInput())
	st := s.result()
	s.Equal(process.OutcomeExpired, st.Outcome)
	s.Equal(ReasonScanTimeout, st.Reason)
}

func (s *fnsSuite) TestExtraSignatureInputIsValidated() {
	creates := s.extraSignature("")
	in := extraInput()
	in.EntrepreneurOGRNIP = "319240000120000" // the document's wrong checksum (L366)
	in.LegalEntity = nil
	s.env.ExecuteWorkflow(FNSExtraSignature, in)
	s.Require().True(s.env.IsWorkflowCompleted())
	err := s.env.GetWorkflowError()
	s.Require().Error(err)
	s.Contains(err.Error(), "entrepreneurOgrnip")
	both := extraInput()
	both.LegalEntity = &LegalEntityRef{INN: "7707083893"}
	s.Error(validateExtraSignature(both, Input{}))
	s.NoError(validateExtraSignature(ExtraSignatureInput{RequestID: "x", ConsumerID: "c", LegalEntity: &LegalEntityRef{INN: "7707083893"}}, Input{}))
	s.Empty(*creates)
}
