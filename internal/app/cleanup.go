package app

import (
	"errors"
	"fmt"

	"go.uber.org/zap"
)

// cleanupStack closes what Run opened, last opened first.
type cleanupStack struct {
	steps []cleanupStep
}

type cleanupStep struct {
	name  string
	close func() error
}

func (s *cleanupStack) push(name string, close func() error) {
	s.steps = append(s.steps, cleanupStep{name, close})
}

func (s *cleanupStack) run(log *zap.Logger) error {
	var errs []error
	for i := len(s.steps) - 1; i >= 0; i-- {
		step := s.steps[i]
		if err := step.close(); err != nil {
			errs = append(errs, fmt.Errorf("stop %s: %w", step.name, err))
		}
		log.Debug("stopped", zap.String("component", step.name))
	}
	s.steps = nil
	return errors.Join(errs...)
}
