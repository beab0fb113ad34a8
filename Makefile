# Every target sets itself up: a fresh clone needs only python3 and make.
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
export PYTHONDONTWRITEBYTECODE := 1

UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
RUN := $(UV) run --frozen --no-sync
SOURCES := bot handler
CFN_LINT := $(UV) tool run --from cfn-lint==1.53.3 cfn-lint
SAM := $(UV) tool run --from aws-sam-cli==1.170.0 sam

.PHONY: setup demo test lint typecheck pytest template-check bench fuzz build deploy clean

.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv

.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --quiet
	@touch $@

setup: .venv/.synced

## demo: the whole bot end to end on the embedded ICE emulator
demo: setup
	$(RUN) smartjobs demo failed asr

## test: lint, types, the template checks and the whole suite
test: lint typecheck template-check build pytest

lint: setup
	$(RUN) ruff check .
	$(RUN) ruff format --check .

typecheck: setup
	$(RUN) mypy --strict $(SOURCES)

pytest: setup
	$(RUN) pytest

template-check: | $(UV)
	@if [ -f template.yaml ]; then \
	  $(CFN_LINT) template.yaml && \
	  AWS_DEFAULT_REGION=us-east-1 SAM_CLI_TELEMETRY=0 $(SAM) validate --lint --template template.yaml; \
	fi

## bench: figures against baselines measured in the same run
bench: setup
	$(RUN) python -m bench

## fuzz: the long hypothesis profile
fuzz: setup
	HYPOTHESIS_PROFILE=fuzz $(RUN) pytest -k "property or fuzz" -p no:cacheprovider

## build: the Lambda package (sam build; see infra/lambda/Makefile), then its zipped size
LAMBDA_BUILD_DIR := .aws-sam/build/SmartJobsFunction
SAM_ENV := SAM_CLI_TELEMETRY=0

.PHONY: package-size

# sam build's own output ends with deploy instructions: shown only when the build fails.
build: | $(UV)
	@log=$$(mktemp); \
	if $(SAM_ENV) $(SAM) build --template template.yaml >"$$log" 2>&1; then \
	  grep -E '^bytecode:' "$$log" || true; echo "sam build: the Lambda package is in $(LAMBDA_BUILD_DIR)"; \
	  rm -f "$$log"; \
	else cat "$$log"; rm -f "$$log"; exit 1; fi
	@$(MAKE) --no-print-directory package-size

## package-size: zipped size of the built package and its biggest parts
package-size:
	@python3 infra/package_size.py $(LAMBDA_BUILD_DIR)

## deploy: build, then `sam deploy --guided` the first time (it writes samconfig.toml), `sam deploy` after
deploy: build
	@if [ -f samconfig.toml ]; then \
	  $(SAM_ENV) $(SAM) deploy; \
	else \
	  $(SAM_ENV) $(SAM) deploy --guided; \
	fi

clean:
	rm -rf .venv .tools .aws-sam .pytest_cache .mypy_cache .ruff_cache
