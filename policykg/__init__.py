"""policykg: Chinese government action plans as a policy knowledge graph."""
__version__ = "0.1.0"
