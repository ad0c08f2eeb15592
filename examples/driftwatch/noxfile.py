# /// script
# dependencies = ["nox>=2025.10", "mlrelease"]
# ///
import noxsessions

noxsessions.register()
