# syntax=docker/dockerfile:1
# The built-in mlrelease image for an ML Python package (written into the build context by
# `mlrelease publish images`; see docs). Inputs, all made before the build, so nothing is downloaded
# while the image builds:
#   wheelhouse/  the package's dependencies as wheels, for this base image's Python and platform
#   dist/        the released wheel, exactly the file that was published to the feed
# Stages: "build" makes /opt/venv (dependencies; cached until they change) and /opt/app (the
# package, a small layer that is all a code-only change rebuilds); the final stage is the base
# image plus those two directories, run as a non-root user, with a build-time import check.
ARG BASE_IMAGE=python:3.12-slim
# Set by the engine for --platform; declared (one per line) so buildah has no "build args were not
# consumed" warning. Global scope: no RUN sees them, so they change no layer.
ARG TARGETPLATFORM
ARG TARGETOS
ARG TARGETARCH

FROM ${BASE_IMAGE} AS build
# SOURCE_DATE_EPOCH makes pip write hash-based .pyc files (no time in them), so two builds give
# byte-identical layers. It is a constant on purpose: a per-commit value would be a build argument
# in scope of every RUN and invalidate the dependency layers on each commit.
ENV SOURCE_DATE_EPOCH=315532800 \
    PIP_NO_INDEX=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PIP_ROOT_USER_ACTION=ignore
# A tools venv with pip; the runtime venv has no pip at all.
RUN python3 -m venv /opt/tools && python3 -m venv --without-pip /opt/venv \
 && /opt/venv/bin/python -c "import pathlib, sysconfig; pathlib.Path(sysconfig.get_paths()['purelib'], '_mlrelease_app.pth').write_text('/opt/app\n')"
COPY wheelhouse/ /wheelhouse/
RUN if [ -s /wheelhouse/requirements.txt ]; then \
      /opt/tools/bin/pip --python /opt/venv/bin/python install --no-deps --find-links /wheelhouse -r /wheelhouse/requirements.txt \
      && /opt/tools/bin/pip --python /opt/venv/bin/python check; \
    fi
# The package itself, in its own directory (found through a .pth file): a code-only change
# rebuilds only this small layer. The wheelhouse was resolved for exactly its requirements.
COPY dist/ /dist/
# (compiled where it lies: pip --target compiles in a temporary directory whose random name would
# end up in every .pyc)
RUN /opt/tools/bin/pip --python /opt/venv/bin/python install --no-deps --no-compile --target /opt/app /dist/*.whl \
 && /opt/venv/bin/python -m compileall -q --invalidation-mode checked-hash /opt/app

FROM ${BASE_IMAGE}
RUN echo 'app:x:10001:10001:app:/nonexistent:/usr/sbin/nologin' >> /etc/passwd \
 && echo 'app:x:10001:' >> /etc/group
COPY --from=build /opt/venv /opt/venv
COPY --from=build /opt/app /opt/app
ENV PATH=/opt/app/bin:/opt/venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
USER 10001:10001
# The build-time smoke check: the package imports in the final image, as the runtime user.
ARG IMPORT_NAME
RUN python -c "import ${IMPORT_NAME}"
CMD ["python"]
# mlrelease appends one LABEL line here (org.opencontainers.image.*: version, revision, source, ...).
