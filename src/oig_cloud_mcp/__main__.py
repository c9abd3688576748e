"""`python -m oig_cloud_mcp` does what the `oig-cloud-mcp` command does."""

from oig_cloud_mcp.cli import main

if __name__ == "__main__":
    main()
