from tests.flowscope.checks.urlconfs import CATCH_ALL

urlpatterns = [CATCH_ALL]
