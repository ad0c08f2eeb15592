"""The Azure side of keyless publishing as code: ``mlrelease infra terraform``.

``plan`` computes, from the project, its configuration and the repository's facts, what the Azure
side must hold (a pure, typed value); ``hcl`` formats HCL the way ``terraform fmt`` does; ``module``
renders the Terraform module from the plan; ``output`` writes it safely and tells when a written
module is out of date with the configuration (``doctor`` and ``check`` report it).
"""
