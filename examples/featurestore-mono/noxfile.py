# /// script
# dependencies = ["nox>=2025.10", "mlrelease"]
# ///
import noxsessions

noxsessions.register()  # at a monorepo root: lint-<member>, tests-<member>-<python>, ...
